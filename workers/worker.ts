/**
 * `compat worker`: pulls builds and cell sides from the work queue and runs them in containers. It needs
 * only Redis and Docker; every result goes back through the results queue.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../common/config.js';
import { logger } from '../common/logger.js';
import { createQueues, isFinalAttempt, startWorkWorker, UnrecoverableError, type Job } from '../common/queue/bullmq.js';
import type { WorkJob, SideDone, BuildDone } from '../common/queue/jobs.js';
import { ArtifactStore, LogWriter } from '../common/queue/redis-data.js';
import { createDocker, ensureNetwork } from './container/docker.js';
import { DatabaseServers, type ServerBackend } from './databases/servers.js';
import { sweepOrphans } from './janitor.js';
import { InfraError, type WorkerPorts } from './ports.js';
import { buildArtifact } from './processors/build-artifact.js';
import { runCellSide } from './processors/run-cell.js';

const HEARTBEAT_SECONDS = 20;

export interface WorkerHandle {
  id: string;
  ports: WorkerPorts;
  /** Stops taking jobs; waits up to `deadlineMs` for running ones, then hands them back. */
  close(deadlineMs?: number): Promise<void>;
}

export async function startWorker(config: Config, options: { concurrency: number }): Promise<WorkerHandle> {
  const workerId = `${config.hostId}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = logger.child({ worker: workerId });
  const docker = createDocker();
  await docker.ping();
  await ensureNetwork(docker, config.network);
  const queues = createQueues(config);
  const redis = queues.redis;
  const heartbeatKey = (id: string) => `${config.prefix}:worker:${id}`;
  const dbRegistry = `${config.prefix}:databases`;
  const beat = () => redis.set(heartbeatKey(workerId), String(Date.now()), 'EX', HEARTBEAT_SECONDS * 2).catch(() => undefined);
  await beat();
  const heartbeat = setInterval(beat, HEARTBEAT_SECONDS * 1000);

  const databases = new DatabaseServers(docker, { network: config.network, hostId: config.hostId });
  const ports: WorkerPorts = {
    config,
    workerId,
    docker,
    databases,
    artifacts: new ArtifactStore(redis, config.prefix),
    openLog: (key, mask) => new LogWriter(redis, key, config.logLimitBytes, mask),
    registerDatabase: async (name, info) => void (await redis.hset(dbRegistry, name, JSON.stringify(info))),
    unregisterDatabase: async (name) => void (await redis.hdel(dbRegistry, name)),
    sendResult: (message) => queues.sendResult(message),
    log,
  };

  const janitor = () =>
    sweepOrphans({
      prefix: config.prefix,
      docker,
      databases,
      log,
      isWorkerAlive: async (id) => id === workerId || (await redis.exists(heartbeatKey(id))) === 1,
      registeredDatabases: async () =>
        Object.entries(await redis.hgetall(dbRegistry)).map(([name, raw]) => {
          const info = JSON.parse(raw) as { worker: string; backend: ServerBackend; image: string };
          return { name, ...info };
        }),
      unregisterDatabase: ports.unregisterDatabase,
    });
  const swept = await janitor();
  if (swept.containers || swept.databases) log.info(swept, 'Cleaned up after dead workers');
  const janitorTimer = setInterval(() => void janitor().catch(() => undefined), 60_000);

  const processor = async (job: Job<WorkJob>, signal: AbortSignal | undefined) => {
    const data = job.data;
    try {
      if (data.kind === 'build') {
        const done = await buildArtifact(data, ports, signal);
        await ports.sendResult(done);
        return { ok: done.ok };
      }
      await ports.sendResult({ kind: 'side-started', runId: data.runId, cellId: data.cellId, side: data.side, attempt: data.attempt, worker: workerId });
      const result = await runCellSide(data, ports, signal);
      await ports.sendResult({ kind: 'side-done', runId: data.runId, cellId: data.cellId, side: data.side, attempt: data.attempt, result });
      return { status: result.status };
    } catch (error) {
      const retryable = !(error instanceof InfraError) || error.retryable;
      const reason = (error as Error).message;
      if (retryable && !isFinalAttempt(job) && !signal?.aborted) {
        log.warn({ job: job.id, attempt: job.attemptsMade + 1, reason }, 'Job failed; will retry');
        throw error;
      }
      if (signal?.aborted) throw error; // handed back: another worker runs it
      // Out of retries, or deterministic: the side ends as `error`, never as a test failure.
      log.error({ job: job.id, reason }, 'Job failed for good');
      const message: SideDone | BuildDone =
        data.kind === 'build'
          ? { kind: 'build-done', runId: data.runId, side: data.side, ok: false, reason, durationMs: 0 }
          : {
              kind: 'side-done',
              runId: data.runId,
              cellId: data.cellId,
              side: data.side,
              attempt: data.attempt,
              result: { status: 'error', durationMs: 0, overheadMs: null, tests: [], reason },
            };
      await ports.sendResult(message);
      throw new UnrecoverableError(reason);
    }
  };

  const worker = startWorkWorker(config, processor, { concurrency: options.concurrency });
  worker.on('error', (error) => log.warn({ err: error }, 'Queue connection problem'));
  await worker.waitUntilReady();
  log.info({ concurrency: options.concurrency }, 'Worker started');

  return {
    id: workerId,
    ports,
    async close(deadlineMs = 30_000) {
      clearInterval(heartbeat);
      clearInterval(janitorTimer);
      const graceful = worker.close();
      const timedOut = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), deadlineMs))]);
      if (timedOut) await worker.close(true); // force: running jobs' locks lapse and another worker takes them
      await redis.del(heartbeatKey(workerId)).catch(() => undefined);
      await queues.close();
    },
  };
}
