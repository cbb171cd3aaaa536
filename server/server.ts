/**
 * `compat server`: the store's one writer. It plans runs, applies results from the queue, serves the
 * API and the dashboard, and resumes unfinished runs after a restart.
 */
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { Config } from '../common/config.js';
import { logger } from '../common/logger.js';
import { loadMatrix } from '../common/matrix/load.js';
import { createQueues, startResultsWorker, type Queues } from '../common/queue/bullmq.js';
import type { ResultMessage } from '../common/queue/jobs.js';
import { bisectStepLogKey, logKey } from '../common/queue/keys.js';
import { parseCellId } from '../common/cell.js';
import type { RunJson } from '../common/types.js';
import { pingEngine } from '../common/docker/engine.js';
import { Tokens } from './auth/tokens.js';
import { queueBoards } from './http/queue-board.js';
import { createApp } from './http/app.js';
import { createMetrics, observeRunFinished, type Metrics } from './metrics/metrics.js';
import { LogFollowers } from './logs/followers.js';
import { archiveLog, bisectStepLogFile, logFile } from './logs/logs.js';
import { Orchestrator, type RunHooks } from './runs/orchestrator.js';
import { Store } from './store/store.js';
import { httpRegistry, mirrorRepositories } from './adapters.js';
import type { ServerPorts, WorkQueue } from './ports.js';
import type { Router, RequestHandler } from 'express';

export interface ServerHandle {
  url: string;
  port: number;
  store: Store;
  orchestrator: Orchestrator;
  tokens: Tokens;
  adminToken: string;
  events: EventEmitter;
  /** The one reader of followed logs (how many follow now: `logFollowers.size`). */
  logFollowers: LogFollowers;
  close(): Promise<void>;
}

/** What the server hands to the modules that plug into it. */
export interface ServerDeps {
  store: Store;
  orchestrator: Orchestrator;
  tokens: Tokens;
  /** The server's config (live: a test may change publicUrl after start). */
  config: Config;
  metrics?: Metrics;
  /** The ports the core runs on (git, registry, work queue), for plugins that need the same ones. */
  ports: ServerPorts;
}

/**
 * Something that runs for as long as the server does (the status reporter): started once the store and
 * queues are open and before unfinished runs resume, stopped when the server closes, before the store
 * does. Nothing needs to poll a handle to learn that the server is going away.
 */
export interface ServerService {
  name: string;
  start(deps: ServerDeps): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface ServerOptions {
  port: number;
  /** Extra hooks (the status reporter) and routers (webhooks), added by their modules. */
  hooks?: RunHooks[];
  mount?: (deps: ServerDeps) => Array<{ path: string; router: Router | RequestHandler }>;
  /** Services the plugins bring; started and stopped with the server, in this order and in reverse. */
  services?: ServerService[];
}

export async function startServer(config: Config, options: ServerOptions): Promise<ServerHandle> {
  const log = logger.child({ component: 'server' });
  const store = new Store(Store.fileIn(config.dataDir));
  const queues = createQueues(config);
  const tokens = new Tokens(store);
  const adminToken = tokens.ensureLocalAdmin(config.dataDir);
  const metrics = createMetrics(queues, store);
  const events = new EventEmitter();
  events.setMaxListeners(1000);

  const hooks = options.hooks ?? [];
  const matrixNeeds = queues.data.matrixNeeds;
  const ports: ServerPorts = { repos: mirrorRepositories(config.dataDir), registry: httpRegistry(config.registries), work: workQueueOf(queues) };
  const orchestrator = new Orchestrator(store, ports, {
    log,
    baselineReuseDays: config.baselineReuseDays,
    publishMatrix: (matrix) => matrixNeeds.publish(matrix),
    cancels: queues.data.cancels,
    hooks: {
      onRunCreated: async (run: RunJson) => {
        for (const h of hooks) await h.onRunCreated?.(run);
      },
      onRunFinished: async (run: RunJson) => {
        observeRunFinished(metrics, run);
        for (const h of hooks) await h.onRunFinished?.(run);
      },
      onRunChanged: (runId) => {
        events.emit(`run:${runId}`);
        // The pull-request reporter follows a run as its cells start and finish.
        for (const h of hooks) h.onRunChanged?.(runId);
      },
      onBisectFinished: async (run: RunJson) => {
        for (const h of hooks) await h.onBisectFinished?.(run);
      },
    },
  });

  const onResult = async (message: ResultMessage) => {
    await orchestrator.handle(message);
    metrics.resultsHandled.inc({ kind: message.kind });
    if (message.kind === 'side-done') metrics.observeSide(message.side, message.result);
    if (message.kind === 'side-started' && message.queuedMs !== undefined) {
      metrics.queueWait.observe({ backend: parseCellId(message.cellId).backend }, message.queuedMs / 1000);
    }
    if (message.kind === 'side-done') {
      // Keep the log beyond Redis's retention; a failure here must not fail the result.
      const key = logKey(config.prefix, message.runId, message.cellId, message.side, message.attempt);
      await archiveLog(queues.data.logs, key, logFile(config.dataDir, message.runId, message.cellId, message.side, message.attempt)).catch((error) =>
        log.warn({ err: error, run: message.runId, cell: message.cellId }, 'Failed to archive cell log'),
      );
    } else if (message.kind === 'bisect-step-done') {
      const key = bisectStepLogKey(config.prefix, message.runId, message.consumer, message.seq);
      await archiveLog(queues.data.logs, key, bisectStepLogFile(config.dataDir, message.runId, message.consumer, message.seq)).catch((error) =>
        log.warn({ err: error, run: message.runId, consumer: message.consumer }, 'Failed to archive bisect step log'),
      );
    }
  };
  const resultsWorker = startResultsWorker(config, onResult);
  resultsWorker.on('error', (error) => log.warn({ err: error }, 'Results queue connection problem'));

  const boards = queueBoards(queues, tokens);
  const followers = new LogFollowers(queues.data.logs);
  const deps: ServerDeps = { store, orchestrator, tokens, config, metrics, ports };
  const app = createApp({
    config,
    store,
    queues,
    orchestrator,
    tokens,
    metrics,
    events,
    log,
    followers,
    matrix: () => loadMatrix(config.matrixFile),
    ready: async () => {
      const check = async (fn: () => Promise<unknown>) => fn().then(() => true, () => false);
      return {
        redis: await check(() => queues.data.ping()),
        store: await check(async () => store.ping()),
        docker: await check(() => pingEngine()),
      };
    },
    mount: [
      { path: '/admin/queues', router: boards },
      ...(options.mount?.(deps) ?? []),
    ],
  });

  // Worker hosts size themselves by the matrix's limits: they may start before the first run.
  await Promise.resolve()
    .then(() => matrixNeeds.publish(loadMatrix(config.matrixFile)))
    .catch((error) => log.warn({ err: error }, 'Could not publish the matrix limits'));
  // Started before resuming, so run hooks fired by the resume reach them.
  const started: ServerService[] = [];
  const stopServices = async () => {
    for (const service of started.splice(0).reverse()) {
      await Promise.resolve()
        .then(() => service.stop())
        .catch((error) => log.warn({ err: error, service: service.name }, 'Service failed to stop'));
    }
  };
  try {
    for (const service of options.services ?? []) {
      await service.start(deps);
      started.push(service);
    }
    await orchestrator.resume();
  } catch (error) {
    await stopServices();
    await resultsWorker.close();
    await queues.close();
    store.close();
    throw error;
  }
  const sweep = setInterval(() => void orchestrator.sweepFailedJobs().catch((error) => log.warn({ err: error }, 'Sweep failed')), 20_000);

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, config.host, () => resolve(s));
    s.on('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port, host: config.host }, 'Server listening');

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    orchestrator,
    tokens,
    adminToken,
    events,
    logFollowers: followers,
    async close() {
      // Outside in: no new requests, no new sweeps, services stopped, then the results they act on, then the store.
      clearInterval(sweep);
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r(undefined)));
      await followers.close();
      await stopServices();
      await resultsWorker.close();
      await queues.close();
      store.close();
    },
  };
}

/** The work queue port over the BullMQ lanes. */
function workQueueOf(queues: Queues): WorkQueue {
  return {
    enqueue: (job, priority) => queues.enqueueWork(job, priority),
    dropRunJobs: (runId) => queues.dropRunJobs(runId),
    async failedJobs() {
      // BullMQ moves a job to the failed set only once it is out of attempts (or unrecoverable).
      return (await queues.failedWork(1000)).map((job) => ({ data: job.data, reason: job.failedReason }));
    },
  };
}
