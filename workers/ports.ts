/**
 * What a processor needs from the outside world, injected: so a cell can be run by calling a function,
 * without a queue.
 */
import type { Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import type { ResultMessage } from '../common/queue/jobs.js';
import type { ArtifactStore, LogWriter } from '../common/queue/redis-data.js';
import type { Docker } from './container/docker.js';
import type { DatabaseServers } from './databases/servers.js';
import type { SecretSource } from './secrets/consumer-secrets.js';

export interface WorkerPorts {
  config: Config;
  workerId: string;
  docker: Docker;
  databases: DatabaseServers;
  artifacts: ArtifactStore;
  /** A consumer's secretEnv values: set aside for it on this host, never the worker's own environment. */
  secrets: SecretSource;
  /** A log writer for a Redis stream key (text already masked). */
  openLog(key: string): LogWriter;
  /** Records which worker owns a cell database, so a janitor can drop it if that worker dies. */
  registerDatabase(name: string, info: Record<string, string>): Promise<void>;
  unregisterDatabase(name: string): Promise<void>;
  /** A cell is done with a database it could not drop: it stays registered, for the janitor to drop later. */
  releaseDatabase?(name: string): void;
  sendResult(message: ResultMessage): Promise<void>;
  log: Logger;
}

/** A failure of the infrastructure (Docker, git fetch, a database server): retried, then `error`. */
export class InfraError extends Error {
  constructor(message: string, readonly retryable = true) {
    super(message);
    this.name = 'InfraError';
  }
}

/** The runner images' unprivileged user: test code never runs as root. */
export const RUNNER_UID = 1000;
