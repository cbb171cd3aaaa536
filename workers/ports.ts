/**
 * What a processor needs from the outside world, injected: so a cell can be run by calling a function,
 * without a queue, and unit-tested with small in-memory fakes. The worker (worker.ts) wires the real
 * adapters once: dockerode (container/docker.ts), git mirrors (common/git/mirror.ts), Redis.
 */
import type { Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import type { ResultMessage } from '../common/queue/jobs.js';
import type { RegisteredDatabaseInfo } from '../common/queue/redis-data.js';
import type { ContainerOutcome, ContainerSpec, ImageBuildSpec } from './container/spec.js';
import type { RemovalOutcome } from './container/removal.js';
import type { FixedConnectionConfig } from '../common/matrix/schema.js';
import type { CellDatabase, Owner, ServerBackend } from './databases/servers.js';
import type { SecretSource } from './secrets/consumer-secrets.js';
import type { LayerName, LayerRef } from './snapshots/layers.js';
import type { CacheName } from './metrics/metrics.js';
import type { SchemaReader } from './schema/read.js';

/** Runs one container to its end, within its limits; it is removed afterwards whatever happened. */
export interface ContainerRunner {
  run(spec: ContainerSpec): Promise<ContainerOutcome>;
}

/** The images this worker host has. */
export interface ImageCatalog {
  /** False only for "no such image"; an engine that does not answer throws (a retryable failure). */
  has(image: string): Promise<boolean>;
  /** Builds an image from a context; a failed build throws `ImageBuildError` with the engine's message. */
  build(spec: ImageBuildSpec): Promise<void>;
  /** The image's id (`sha256:...`), or null when the host has no such image. */
  id(image: string): Promise<string | null>;
  /** An image's env and size, for a commit that must not keep a container's own env. */
  config(image: string): Promise<{ env: string[]; size: number }>;
}

/** Repositories, through mirrors kept on this worker host. Failures are `GitError`s. */
export interface SourceMirror {
  /** The commit `ref` names in `repo`, fetching once if the mirror does not know it yet. */
  resolve(repo: string, ref: string): Promise<string>;
  /** A working copy of commit `sha` of `repo` in `dest`, the mirror brought up to date first. */
  checkout(repo: string, sha: string, dest: string): Promise<void>;
  /** Blob ids of those of `paths` that commit `sha` holds (path -> id), without a checkout. */
  blobIds(repo: string, sha: string, paths: string[]): Promise<Record<string, string>>;
}

/** Built artifacts by key, shared by every worker host (Redis). */
export interface ArtifactFiles {
  files(artifactKey: string): Promise<string[] | null>;
  put(artifactKey: string, files: Map<string, Buffer>): Promise<void>;
  get(artifactKey: string): Promise<Map<string, Buffer> | null>;
}

/** A cell side's or a build's log (a Redis stream): text in, already masked. */
export interface LogSink {
  write(text: string): void;
  end(): Promise<void>;
}

/** Databases for cells: one of its own on the shared server, or a dedicated server for fixed credentials. */
export interface CellDatabases {
  createDatabase(backend: ServerBackend, image: string, register: (name: string) => Promise<void>): Promise<CellDatabase>;
  startDedicated(backend: ServerBackend, image: string, fixed: FixedConnectionConfig, owner: Owner, limits: { memoryMb: number }): Promise<CellDatabase>;
}

/** Cell databases on the shared servers, made ahead of the cells that take them (each taken once). */
export interface SpareCellDatabases {
  /** A fresh database for one cell of `run`, registered as that cell's (the cell drops and unregisters it). */
  take(backend: ServerBackend, image: string, run: string): Promise<CellDatabase>;
}

/** Dedicated servers for fixed connections, started ahead of the cells that take them (each taken once). */
export interface SpareDedicatedServers {
  /** A server of its own for the cell `owner` names, removed by the cell (`drop`) after it. */
  take(backend: ServerBackend, image: string, fixed: FixedConnectionConfig, owner: Owner, limits: { memoryMb: number }): Promise<CellDatabase>;
}

/** Install snapshots and candidate layers on this worker host (workers/snapshots/layers.ts). */
export interface SnapshotLayers {
  /** The layer's image: found on the host, or made once by `build` (which commits it as `repo:tag`). */
  ensure(layer: LayerName, key: string, build: (target: { repo: string; tag: string }) => Promise<void>): Promise<LayerRef>;
  /** Keeps an image from eviction until the returned release is called. */
  hold(tag: string): () => void;
  /** Removes least recently used layers past the disk budget. */
  evict(budgetMb?: number): Promise<{ removed: number; keptBytes: number }>;
}

/** Containers of this worker host's deployments, for the janitor. */
export interface OwnedContainers {
  /** Retries the removals that failed before (the engine away or refusing) and are due; returns how many went. */
  removeLeftovers(): Promise<number>;
  /** Containers of deployment `prefix` that carry a worker label, running or not. */
  listOwned(prefix: string): Promise<Array<{ id: string; name: string; kind?: string; worker: string }>>;
  /**
   * Removes a container and its volumes, running or not, through the worker's removals
   * (container/removal.ts): never throws; one that fails is kept and retried with backoff.
   */
  remove(id: string, name?: string): Promise<RemovalOutcome>;
}

export interface WorkerPorts {
  config: Config;
  workerId: string;
  containers: ContainerRunner;
  images: ImageCatalog;
  sources: SourceMirror;
  databases: CellDatabases;
  /** Cell databases on the shared servers, made ahead of the cells that take them (each taken once). */
  spareDatabases: SpareCellDatabases;
  /** Servers of their own for suites with a fixed connection, started ahead. */
  spareServers: SpareDedicatedServers;
  /** Install snapshots and candidate layers on this worker host. */
  layers: SnapshotLayers;
  /** Counts a lookup in one of the host's caches (the worker's metrics); absent where nobody counts. */
  cacheLookup?: (cache: CacheName, hit: boolean) => void;
  artifacts: ArtifactFiles;
  /** A consumer's secretEnv values: set aside for it on this host, never the worker's own environment. */
  secrets: SecretSource;
  /** A log writer for a Redis stream key. */
  openLog(key: string): LogSink;
  /** Records which worker owns a cell database, so a janitor can drop it if that worker dies. */
  registerDatabase(name: string, info: RegisteredDatabaseInfo): Promise<void>;
  unregisterDatabase(name: string): Promise<void>;
  /** A cell is done with a database it could not drop: it stays registered, for the janitor to drop later. */
  releaseDatabase?(name: string): void;
  sendResult(message: ResultMessage): Promise<void>;
  /** Reads a side's schema after its migrations (consumers with `schema:`); absent where no side needs it. */
  readSchema?: SchemaReader;
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
