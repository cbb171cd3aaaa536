/**
 * `compat worker`: pulls builds and cell sides from the work queue and runs them in containers. It needs
 * only Redis and Docker; every result goes back through the results queue.
 */
import { schemaReader } from './schema/read.js';
import { randomBytes } from 'node:crypto';
import type { Config } from '../common/config.js';
import { logger } from '../common/logger.js';
import { loadMatrix } from '../common/matrix/load.js';
import { createQueues, startWorkWorkers, unrecoverable, type WorkItem } from '../common/queue/bullmq.js';
import type { ResultMessage } from '../common/queue/jobs.js';
import { MatrixNeeds, type CellNeeds, type RegisteredDatabaseInfo } from '../common/queue/redis-data.js';
import { BACKENDS, type Backend } from '../common/types.js';
import { Mirror } from '../common/git/mirror.js';
import { buildImage, containersWith, createEngine, ensureNetwork, imageExists, removeContainer, LABEL_KIND, LABEL_PREFIX, LABEL_WORKER, runContainer, type ContainerEngine } from './container/docker.js';
import { ContainerRemovals } from './container/removal.js';
import { workerReadiness } from './readiness.js';
import { DatabaseServers } from './databases/servers.js';
import { SpareDatabases } from './databases/spare-pool.js';
import { SpareServers } from './databases/spare-servers.js';
import { imageConfigOf, imageIdOf } from './images/host-images.js';
import { sweepOrphans } from './janitor.js';
import { InfraError, type OwnedContainers, type SourceMirror, type WorkerPorts } from './ports.js';
import { bisectJobFailed, runBisectJob } from './processors/bisect.js';
import { isEngineError, WorkerMetrics } from './metrics/metrics.js';
import { defaultConcurrency, hostCapacity, lanesFor } from './placement.js';
import { buildArtifact } from './processors/build-artifact.js';
import { LayerStore } from './snapshots/layers.js';
import { runCellSide } from './processors/run-cell.js';
import { loadConsumerSecrets } from './secrets/consumer-secrets.js';

/**
 * How often a worker says it is alive; it counts as dead two beats after its last one, and then a
 * janitor removes what it left. @defaultValue 20 s (env COMPAT_HEARTBEAT_SECONDS)
 */
const HEARTBEAT_SECONDS = Number(process.env.COMPAT_HEARTBEAT_SECONDS || 20);
/**
 * How long a job's lock outlives a worker that stopped renewing it; then another worker takes the job.
 * @defaultValue 30 s (env COMPAT_JOB_LOCK_SECONDS)
 */
const JOB_LOCK_SECONDS = Number(process.env.COMPAT_JOB_LOCK_SECONDS || 30);
/**
 * How often a running job looks whether its run was cancelled (`compat cancel`); then its container is
 * stopped and removed, its network and database with it. @defaultValue 1000 ms (env COMPAT_CANCEL_POLL_MS)
 */
const CANCEL_POLL_MS = Number(process.env.COMPAT_CANCEL_POLL_MS || 1000);

export interface WorkerOptions {
  /** Cells at once. @defaultValue what the host's CPUs and memory allow for the matrix's limits ({@link defaultConcurrency}) */
  concurrency?: number;
  /** Only cells of these backends. @defaultValue all */
  backends?: readonly Backend[];
  /** Serve Prometheus metrics on this port (0: any free port). @defaultValue none */
  metricsPort?: number;
  /** Address the metrics are served on. @defaultValue 127.0.0.1 (env COMPAT_METRICS_HOST) */
  metricsHost?: string;
}

export interface WorkerHandle {
  id: string;
  ports: WorkerPorts;
  concurrency: number;
  backends: readonly Backend[];
  /** What bounded the concurrency when none was given. */
  concurrencyWhy: string;
  metrics: WorkerMetrics;
  /** The port /metrics is served on, when asked for. */
  metricsPort: number | null;
  /** Stops taking jobs; waits up to `deadlineMs` for running ones, then hands them back. */
  close(deadlineMs?: number): Promise<void>;
}

/** The matrix's limits: as the server published them in Redis, else from a local matrix file, else none. */
async function matrixNeeds(config: Config, needs: MatrixNeeds): Promise<CellNeeds[]> {
  const published = await needs.read();
  if (published) return published;
  try {
    return MatrixNeeds.of(loadMatrix(config.matrixFile));
  } catch {
    return [];
  }
}

export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<WorkerHandle> {
  const secrets = loadConsumerSecrets();
  const workerId = `${config.hostId}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = logger.child({ worker: workerId });
  if (secrets.unreadVariables.length) {
    // Names only, never values: an operator still on the old form would otherwise lose secrets silently.
    log.warn({ variables: secrets.unreadVariables }, 'Consumer secret variables not in the form COMPAT_SECRET_<LIBRARY>__<CONSUMER>__<NAME> are not read');
  }
  const docker = createEngine();
  await docker.ping();
  await ensureNetwork(docker, config.network);
  const queues = createQueues(config);
  const data = queues.data;
  const registry = data.workers;
  const backends = options.backends ?? BACKENDS;
  const sized = options.concurrency
    ? { concurrency: options.concurrency, why: 'as given' }
    : defaultConcurrency(hostCapacity(), await matrixNeeds(config, data.matrixNeeds), backends);
  const concurrency = sized.concurrency;
  const metrics = new WorkerMetrics(concurrency);
  const beat = () => registry.beat(workerId, HEARTBEAT_SECONDS * 2).catch(() => undefined);
  await beat();
  const heartbeat = setInterval(beat, HEARTBEAT_SECONDS * 1000);

  /** Every container this worker removes goes through here; one that fails is retried with backoff. */
  const removals = new ContainerRemovals({ remove: (id) => removeContainer(docker, id), log });
  metrics.countHeldContainers(() => removals.held().length);
  const databases = new DatabaseServers(docker, { network: config.network, hostId: config.hostId, cellLimits: config.cellDatabaseLimits, removals });
  /** Cell databases a running cell of this worker holds; a registered one not in here is stray. */
  const databasesInUse = new Set<string>();
  const registerDatabase = async (name: string, info: RegisteredDatabaseInfo) => {
    databasesInUse.add(name);
    await registry.registerDatabase(name, info);
  };
  const unregisterDatabase = async (name: string) => {
    await registry.unregisterDatabase(name);
    databasesInUse.delete(name);
  };
  const spareDatabases = new SpareDatabases({
    databases,
    // Spare databases made ahead and not yet taken by a cell: the janitor drops a dead worker's too.
    register: async (name, backend, image) => {
      databasesInUse.add(name);
      await registry.registerSpare(name, { worker: workerId, backend, image });
    },
    // Taken by a cell: registered as that cell's, like one made for it.
    claim: async (name, backend, image, run) => {
      databasesInUse.add(name);
      await registry.claimSpare(name, { worker: workerId, backend, image, run });
    },
    unregister: unregisterDatabase,
    release: (name) => void databasesInUse.delete(name),
    log,
  });
  const spareServers = new SpareServers({ start: (...args) => databases.startDedicated(...args), log }, { prefix: config.prefix, worker: workerId });
  const ports: WorkerPorts = {
    config,
    workerId,
    containers: { run: (spec) => runContainer(docker, spec, removals) },
    images: {
      has: (image) => imageExists(docker, image),
      build: (spec) => buildImage(docker, spec),
      id: (image) => imageIdOf(docker, image),
      config: (image) => imageConfigOf(docker, image),
    },
    sources: gitMirrors(config.dataDir),
    databases,
    spareDatabases,
    spareServers,
    cacheLookup: (cache, hit) => metrics.cacheLookup(cache, hit),
    layers: new LayerStore(docker, { prefix: config.prefix, dataDir: config.dataDir, budgetMb: config.snapshotBudgetMb, log }),
    artifacts: data.artifacts,
    secrets,
    openLog: (key) => data.logs.open(key, config.logLimitBytes),
    registerDatabase,
    unregisterDatabase,
    releaseDatabase: (name) => void databasesInUse.delete(name),
    sendResult: (message) => queues.sendResult(message),
    readSchema: schemaReader(docker),
    log,
  };

  const janitor = () =>
    sweepOrphans({
      prefix: config.prefix,
      containers: ownedContainers(docker, removals),
      databases,
      log,
      isWorkerAlive: async (id) => id === workerId || (await registry.isAlive(id)),
      registeredDatabases: () => registry.databases(),
      unregisterDatabase: ports.unregisterDatabase,
      isStrayDatabase: (name, worker) => worker === workerId && !databasesInUse.has(name),
    });
  const sweep = async () => {
    let report;
    try {
      report = await janitor();
      metrics.janitorSwept(report);
    } catch (error) {
      if (isEngineError(error)) metrics.engineError();
      throw error;
    }
    // Snapshots are swept like containers: past the budget, least recently used first.
    const evicted = await ports.layers.evict().catch((error) => (log.warn({ err: error }, 'Snapshot eviction failed'), { removed: 0 }));
    return { ...report, snapshots: evicted.removed };
  };
  const swept = await sweep();
  if (swept.containers || swept.databases || swept.snapshots) log.info(swept, 'Cleaned up after dead workers');
  // Every three beats (a minute by default): a dead worker's leftovers go soon after it counts as dead.
  const janitorTimer = setInterval(() => void sweep().catch(() => undefined), HEARTBEAT_SECONDS * 3000);

  const cancels = data.cancels;
  /**
   * A job of a cancelled run: not started at all when the run was cancelled before a worker took it (or
   * the job came back after its worker died); stopped through its AbortSignal when the cancel comes
   * while it runs, and then its normal cleanup removes the container, network and database. Either way
   * it ends without a result (the server ignores the run's results anyway) and without a retry.
   */
  const processor = async (job: WorkItem, signal: AbortSignal | undefined) => {
    const runId = job.data.runId;
    if (await cancels.has(runId).catch(() => false)) {
      log.info({ job: job.id, run: runId }, 'Job of a cancelled run dropped');
      return { cancelled: true };
    }
    const controller = new AbortController();
    const forward = () => controller.abort(signal?.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward, { once: true });
    const run = { cancelled: false };
    const watch = setInterval(() => {
      void cancels.has(runId).then(
        (yes) => {
          if (!yes || run.cancelled) return;
          run.cancelled = true;
          log.info({ job: job.id, run: runId }, 'Run cancelled; stopping its job');
          controller.abort(new Error('run cancelled'));
        },
        () => undefined,
      );
    }, CANCEL_POLL_MS);
    try {
      return await processJob(job, controller.signal, run);
    } finally {
      clearInterval(watch);
      signal?.removeEventListener('abort', forward);
    }
  };

  const processJob = async (job: WorkItem, signal: AbortSignal, run: { cancelled: boolean }) => {
    const data = job.data;
    const send = async (message: ResultMessage) => {
      if (!run.cancelled) await ports.sendResult(message);
    };
    try {
      if (data.kind === 'build') {
        const done = await buildArtifact(data, ports, signal);
        await send(done);
        return { ok: done.ok };
      }
      if (data.kind === 'bisect-build' || data.kind === 'bisect-step') {
        const done = await runBisectJob(data, ports, signal);
        await send(done);
        return { kind: done.kind };
      }
      const queuedMs = Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp);
      await send({ kind: 'side-started', runId: data.runId, cellId: data.cellId, side: data.side, attempt: data.attempt, worker: workerId, queuedMs });
      const result = await runCellSide(data, ports, signal);
      metrics.observeSide(data.backend, result);
      await send({ kind: 'side-done', runId: data.runId, cellId: data.cellId, side: data.side, attempt: data.attempt, worker: workerId, result });
      return { status: result.status };
    } catch (error) {
      // Stopped because its run was cancelled: done with, not retried, nothing to report.
      if (run.cancelled) return { cancelled: true };
      if (isEngineError(error)) metrics.engineError();
      const retryable = !(error instanceof InfraError) || error.retryable;
      const reason = (error as Error).message;
      if (retryable && !job.isFinalAttempt() && !signal.aborted) {
        log.warn({ job: job.id, attempt: job.attemptsMade + 1, reason }, 'Job failed; will retry');
        throw error;
      }
      // Cancelled by a shutdown past its deadline: back to the queue, attempts untouched, for another worker.
      if (signal.aborted) throw await job.handBack();
      // Out of retries, or deterministic: the side ends as `error`, never as a test failure.
      log.error({ job: job.id, reason }, 'Job failed for good');
      const message: ResultMessage =
        data.kind === 'bisect-build' || data.kind === 'bisect-step'
          ? bisectJobFailed(data, reason)
          : data.kind === 'build'
          ? { kind: 'build-done', runId: data.runId, side: data.side, ok: false, reason, durationMs: 0 }
          : {
              kind: 'side-done',
              runId: data.runId,
              cellId: data.cellId,
              side: data.side,
              attempt: data.attempt,
              worker: workerId,
              result: { status: 'error', durationMs: 0, overheadMs: null, tests: [], reason },
            };
      await ports.sendResult(message);
      throw unrecoverable(reason);
    }
  };

  const worker = startWorkWorkers(config, processor, {
    concurrency,
    lanes: lanesFor(backends),
    lockDurationMs: JOB_LOCK_SECONDS * 1000,
    onSlots: (busy) => metrics.setBusy(busy),
  });
  worker.on('error', (error) => log.warn({ err: error }, 'Queue connection problem'));
  await worker.waitUntilReady();
  const metricsServer =
    options.metricsPort === undefined
      ? null
      : await metrics.serve(options.metricsPort, options.metricsHost ?? process.env.COMPAT_METRICS_HOST ?? '127.0.0.1', () =>
          workerReadiness({ pingEngine: () => docker.ping(), pingRedis: () => data.ping(), heldContainers: () => removals.held() }),
        );
  const metricsAddress = metricsServer?.address();
  const metricsPort = metricsAddress && typeof metricsAddress === 'object' ? metricsAddress.port : null;
  log.info({ concurrency, backends, why: sized.why, metricsPort }, 'Worker started');

  const shutdown = async (deadlineMs: number): Promise<void> => {
    clearInterval(janitorTimer);
    // The heartbeat goes on while running cells finish: a worker that stopped beating counts as dead,
    // and another worker's janitor would remove the containers of cells still running here.
    const graceful = worker.close();
    const wait = (ms: number) => new Promise<boolean>((r) => setTimeout(() => r(true), ms).unref());
    const timedOut = await Promise.race([graceful.then(() => false), wait(deadlineMs)]);
    if (timedOut) {
      // BullMQ's close(true) after close() is a no-op: cancelling is what stops running jobs. Each one
      // kills and removes its container, drops its database and hands its job back to the queue.
      log.warn({ deadlineMs }, 'Shutdown deadline passed; handing running jobs back');
      worker.cancelAllJobs('worker shutting down');
      await Promise.race([graceful, wait(30_000)]);
    }
    await spareDatabases.close().catch((error) => log.warn({ err: error }, 'Failed to drop spare databases'));
    await spareServers.close();
    clearInterval(heartbeat);
    metricsServer?.closeAllConnections();
    metricsServer?.close();
    await registry.forget(workerId).catch(() => undefined);
    await queues.close();
  };
  let closing: Promise<void> | undefined;

  return {
    id: workerId,
    ports,
    concurrency,
    backends,
    concurrencyWhy: sized.why,
    metrics,
    metricsPort,
    close(deadlineMs = 30_000) {
      // Once: a second call (a test's, then its stack's) waits for the first.
      closing ??= shutdown(deadlineMs);
      return closing;
    },
  };
}

/** The source port on git mirrors under the data directory. */
function gitMirrors(dataDir: string): SourceMirror {
  return {
    resolve: (repo, ref) => Mirror.for(dataDir, repo).resolveFetching(ref),
    async checkout(repo, sha, dest) {
      const mirror = Mirror.for(dataDir, repo);
      await mirror.update();
      await mirror.checkout(sha, dest);
    },
    blobIds: (repo, sha, paths) => Mirror.for(dataDir, repo).blobIds(sha, paths),
  };
}

/** The janitor's view of the engine: containers labelled with the worker that made them. */
function ownedContainers(docker: ContainerEngine, removals: ContainerRemovals): OwnedContainers {
  return {
    removeLeftovers: () => removals.retryDue(),
    async listOwned(prefix) {
      const found = await containersWith(docker, { [LABEL_PREFIX]: prefix, [LABEL_WORKER]: undefined });
      return found.map((c) => ({ id: c.Id, name: c.Names[0], kind: c.Labels[LABEL_KIND], worker: c.Labels[LABEL_WORKER] }));
    },
    remove: (id, name) => removals.remove(id, name),
  };
}
