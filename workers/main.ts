/**
 * `compat worker` as a process. SIGTERM stops taking jobs and lets running cells finish within a
 * deadline; past it, their jobs are handed back to the queue for another worker.
 */
import type { Config } from '../common/config.js';
import { logger } from '../common/logger.js';
import type { Backend } from '../common/types.js';
import { MAX_CONCURRENCY } from './placement.js';
import { startWorker } from './worker.js';

/** How long SIGTERM waits for running cells. @defaultValue 60 s (env COMPAT_SHUTDOWN_SECONDS) */
const SHUTDOWN_MS = Number(process.env.COMPAT_SHUTDOWN_SECONDS ?? 60) * 1000;

export interface WorkerProcessOptions {
  /** undefined: sized by the host and the matrix. */
  concurrency?: number;
  backends?: Backend[];
  metricsPort?: number;
}

export async function startWorkerProcess(config: Config, options: WorkerProcessOptions): Promise<void> {
  const { concurrency } = options;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY)) {
    throw new Error(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${concurrency}`);
  }
  const handle = await startWorker(config, options);
  const metrics = handle.metricsPort === null ? '' : `, metrics on port ${handle.metricsPort}`;
  process.stderr.write(`compat worker ${handle.id}: concurrency ${handle.concurrency} (${handle.concurrencyWhy}), backends ${handle.backends.join(',')}${metrics}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, deadlineMs: SHUTDOWN_MS }, 'Worker stopping');
    await handle.close(SHUTDOWN_MS).catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
