/**
 * The HTTP surface of `compat server` (CONTRACT "HTTP"): runs API, gate, logs, health, metrics, the
 * dashboard and the queue board. Webhooks mount their own router.
 */
import express, { type Request, type Router } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { Config } from '../../common/config.js';
import { REPO_ROOT } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { databaseImageOf } from '../../common/cell.js';
import { redactDeep } from '../../common/redact.js';
import type { ResolvedMatrix } from '../../common/matrix/load.js';
import type { CellDetailJson } from '../../common/wire.js';
import { bisectStepLogKey, logKey } from '../../common/queue/keys.js';
import { NotARegression, UnknownCell } from '../bisect/bisector.js';
import type { Queues } from '../../common/queue/bullmq.js';
import { gateOf, gateRuns, isFinished } from '../../common/verdict.js';
import { SIDES, type Side } from '../../common/types.js';
import { loginRouter, readGuard, requireToken } from '../auth/access.js';
import type { Tokens } from '../auth/tokens.js';
import type { LogFollowers } from '../logs/followers.js';
import { bisectStepLogFile, logFile, streamLog } from '../logs/logs.js';
import { PlanError, RunRequest } from '../planner/plan.js';
import { compatRunCommand, dockerScript } from '../repro/script.js';
import type { Orchestrator } from '../runs/orchestrator.js';
import type { Store } from '../store/store.js';
import { errorHandler, HttpError, redactJsonAnswers, route } from './handler.js';
import type { Metrics } from '../metrics/metrics.js';
import { StreamCap } from './stream-caps.js';

export interface AppDeps {
  config: Config;
  store: Store;
  queues: Queues;
  orchestrator: Orchestrator;
  tokens: Tokens;
  metrics: Metrics;
  /** Reads matrix.yaml afresh for each run, so an edit needs no restart. */
  matrix(): ResolvedMatrix;
  ready(): Promise<Record<string, boolean>>;
  /** Emits `run:<id>` whenever a run changes. */
  events: EventEmitter;
  log: Logger;
  /** Extra routers (webhooks, queue board) mounted before the error handler. */
  mount?: Array<{ path: string; router: Router | express.RequestHandler }>;
  /** The server's one reader of followed logs. */
  followers: LogFollowers;
}

const ListQuery = z.object({ library: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() });
/** Paging of a cell's lists: the default page is every list of an ordinary cell. */
const CELL_PAGE_DEFAULT = 1000;
const CELL_PAGE_MAX = 10_000;
const CellQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(CELL_PAGE_MAX).default(CELL_PAGE_DEFAULT),
});
const GateQuery = z.object({ library: z.string().min(1).max(100), version: z.string().min(1).max(200) });
const LogQuery = z.object({
  side: z.enum(SIDES).default('candidate'),
  attempt: z.coerce.number().int().min(0).max(20).default(0),
  follow: z.enum(['0', '1', 'true', 'false']).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new HttpError(400, `${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
}

export function createApp(deps: AppDeps): express.Express {
  const { store, config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(redactJsonAnswers);
  const auth = requireToken(deps.tokens);
  const caps = config.streamCaps;
  const followCap = new StreamCap({
    what: 'log followers',
    total: caps.logFollowers,
    perClient: caps.logFollowersPerClient,
    totalEnv: 'COMPAT_MAX_LOG_FOLLOWERS',
    perClientEnv: 'COMPAT_MAX_LOG_FOLLOWERS_PER_CLIENT',
  });
  const eventCap = new StreamCap({
    what: 'event listeners',
    total: caps.eventListeners,
    perClient: caps.eventListenersPerClient,
    totalEnv: 'COMPAT_MAX_EVENT_LISTENERS',
    perClientEnv: 'COMPAT_MAX_EVENT_LISTENERS_PER_CLIENT',
  });
  /**
   * Whether a cell side (or the run's build, cellId "build") may still write its log: its run is not
   * done and the side has not finished; a side the run has not started yet counts while it may still
   * come (attempt 0, or a confirming re-run the run allows). Anything else is finished or unknown.
   */
  const sideLive = (runId: string, cellId: string, side: Side, attempt: number) => (): boolean => {
    const run = store.runRecord(runId);
    if (!run || run.status === 'done') return false;
    if (cellId === 'build') return attempt === 0 && !store.build(runId, side);
    const status = store.sideStatuses(runId, cellId).find((s) => s.side === side && s.attempt === attempt)?.status;
    return status ? !isFinished(status) : attempt <= run.reruns;
  };
  /** A followed log: a slot under the cap only when it will really be held (its side is live). */
  const followLog = (req: Request, res: express.Response, key: string, file: string, live: (() => boolean) | null) => {
    const follow = live && live() ? { followers: deps.followers, live } : null;
    if (follow) followCap.take(req, res);
    return streamLog(res, deps.queues.data.logs, key, file, follow);
  };

  app.get('/healthz', route(() => ({ status: 200, body: { ok: true } })));
  if (config.readTokenRequired) {
    // A private deployment: from here on (webhooks aside) every route needs a token, the dashboard included.
    app.use(loginRouter(deps.tokens, config));
    app.use(readGuard(deps.tokens));
  }
  app.get(
    '/readyz',
    route(async () => {
      const checks = await deps.ready();
      const ok = Object.values(checks).every(Boolean);
      return { status: ok ? 200 : 503, body: { ok, checks } };
    }),
  );
  app.get(
    '/metrics',
    route(async (_req, res) => {
      res.set('Content-Type', deps.metrics.registry.contentType);
      res.send(await deps.metrics.registry.metrics());
    }),
  );

  for (const extra of deps.mount ?? []) app.use(extra.path, extra.router);

  const api = express.Router();
  // The token is checked before the body is read: without one the answer is 401, whatever the body.
  api.post('/runs', (req, _res, next) => {
    try {
      auth(req);
      next();
    } catch (error) {
      next(error);
    }
  });
  api.use(express.json({ limit: '256kb' }));

  api.post(
    '/runs',
    route(async (req) => {
      const who = auth(req);
      const body = parse(RunRequest, req.body ?? {}, 'body');
      try {
        const run = await deps.orchestrator.createRun(deps.matrix(), body, 'api', { requestedBy: who });
        deps.metrics.runsCreated.inc({ trigger: 'api' });
        return { status: 201, body: { id: run.id, run } };
      } catch (error) {
        if (error instanceof PlanError) throw new HttpError(400, error.message, { field: error.field });
        throw error;
      }
    }),
  );
  api.get('/runs', route((req) => ({ status: 200, body: store.listRuns(parse(ListQuery, req.query, 'query')) })));
  api.get(
    '/runs/:id',
    route((req) => {
      const run = store.getRun(String(req.params.id));
      if (!run) throw new HttpError(404, `no run "${req.params.id}"`);
      return { status: 200, body: run };
    }),
  );
  /** A cell of a run, or 404. */
  const cellOf = (req: Request) => {
    const run = store.getRun(String(req.params.id));
    const cell = run?.cells.find((c) => c.id === req.params.cellId);
    if (!run || !cell) throw new HttpError(404, `no cell "${req.params.cellId}" in run "${req.params.id}"`);
    const config = store.cellConfig(run.id, cell.id);
    if (!config) throw new HttpError(404, `no cell "${req.params.cellId}" in run "${req.params.id}"`);
    return { run: { ...run, cells: undefined }, cell, config };
  };
  api.get(
    '/runs/:id/cells/:cellId',
    route((req) => {
      const { offset, limit } = parse(CellQuery, req.query, 'query');
      const { run, cell: shown, config } = cellOf(req);
      const lists = store.cellLists(run.id, shown.id)!;
      const page = <T>(list: T[]) => list.slice(offset, offset + limit);
      const allTests = Object.fromEntries(SIDES.map((side) => [side, store.testsOf(run.id, shown.id, side, 0)])) as CellDetailJson['tests'];
      const tests = Object.fromEntries(SIDES.map((side) => [side, page(allTests[side])])) as CellDetailJson['tests'];
      const cell = {
        ...shown,
        newFailures: page(lists.newFailures),
        fixedTests: page(lists.fixedTests),
        newFailuresTotal: lists.newFailures.length,
        fixedTestsTotal: lists.fixedTests.length,
      };
      const body: CellDetailJson = {
        run,
        cell,
        tests,
        config,
        attempts: store.sideStatuses(run.id, cell.id),
        reproduce: { compat: compatRunCommand({ run, cell }) },
        page: {
          offset,
          limit,
          newFailures: lists.newFailures.length,
          fixedTests: lists.fixedTests.length,
          tests: { candidate: allTests.candidate.length, baseline: allTests.baseline.length },
        },
      };
      return { status: 200, body };
    }),
  );
  api.post(
    '/runs/:id/cells/:cellId/bisect',
    route(async (req) => {
      auth(req);
      try {
        return { status: 202, body: { bisect: await deps.orchestrator.startBisect(String(req.params.id), String(req.params.cellId)) } };
      } catch (error) {
        if (error instanceof UnknownCell) throw new HttpError(404, error.message);
        if (error instanceof NotARegression) throw new HttpError(409, error.message);
        throw error;
      }
    }),
  );
  api.post(
    '/runs/:id/cancel',
    route(async (req) => {
      const who = auth(req);
      const id = String(req.params.id);
      const { outcome, run } = await deps.orchestrator.cancelRun(id, who);
      if (outcome === 'unknown') throw new HttpError(404, `no run "${id}"`);
      if (outcome === 'finished') throw new HttpError(409, `run "${id}" already finished (${run?.verdict})`);
      return { status: 200, body: { run } };
    }),
  );
  api.get(
    '/runs/:id/bisects/:consumer/steps/:seq/logs',
    route(async (req, res) => {
      const run = store.runRecord(String(req.params.id));
      const consumer = String(req.params.consumer);
      const seq = parse(z.coerce.number().int().min(0).max(1000), req.params.seq, 'seq');
      if (!run || !store.bisects.steps(run.id, consumer).some((s) => s.seq === seq)) throw new HttpError(404, `no bisect step ${seq} of ${consumer} in run "${req.params.id}"`);
      const live = () => store.bisects.get(run.id, consumer)?.status === 'running' && store.bisects.steps(run.id, consumer).some((s) => s.seq === seq && s.outcome === null);
      await followLog(req, res, bisectStepLogKey(config.prefix, run.id, consumer, seq), bisectStepLogFile(config.dataDir, run.id, consumer, seq), live);
    }),
  );
  // Plain text, built here from the worker's own modules: the dashboard shows it as it comes.
  api.get(
    '/runs/:id/cells/:cellId/repro',
    route((req, res) => {
      const { run, cell, config } = cellOf(req);
      const side = parse(z.object({ side: z.enum(SIDES).default('candidate') }), req.query, 'query').side;
      // What the run was made with: how its library is built, which database images it used.
      const plan = store.runMeta(run.id)?.plan;
      const script = dockerScript(
        {
          run,
          cell,
          config,
          library: plan?.library ? { repo: plan.library.repo, image: plan.library.image, command: plan.library.command } : null,
          databaseImage: plan ? databaseImageOf(plan.databases, cell) || null : null,
          baselineFile: store.runMeta(run.id)?.baselineFile ?? null,
        },
        side,
      );
      res.type('text/plain; charset=utf-8').set('Cache-Control', 'no-store').send(`${script}\n`);
    }),
  );
  const sendLog = (req: Request, runId: string, cellId: string, side: Side, attempt: number, follow: boolean, res: express.Response) =>
    followLog(req, res, logKey(config.prefix, runId, cellId, side, attempt), logFile(config.dataDir, runId, cellId, side, attempt), follow ? sideLive(runId, cellId, side, attempt) : null);
  api.get(
    '/runs/:id/cells/:cellId/logs',
    route(async (req, res) => {
      const run = store.getRun(String(req.params.id));
      if (!run || !run.cells.some((c) => c.id === req.params.cellId)) throw new HttpError(404, `no cell "${req.params.cellId}" in run "${req.params.id}"`);
      const q = parse(LogQuery, req.query, 'query');
      await sendLog(req, run.id, String(req.params.cellId), q.side, q.attempt, q.follow !== '0' && q.follow !== 'false', res);
    }),
  );
  api.get(
    '/runs/:id/builds/:side/logs',
    route(async (req, res) => {
      const run = store.getRun(String(req.params.id));
      const side = parse(z.enum(SIDES), req.params.side, 'side');
      if (!run) throw new HttpError(404, `no run "${req.params.id}"`);
      await sendLog(req, run.id, 'build', side, 0, true, res);
    }),
  );
  api.get(
    '/runs/:id/events',
    route((req, res) => {
      const id = String(req.params.id);
      if (!store.runRecord(id)) throw new HttpError(404, `no run "${id}"`);
      eventCap.take(req, res);
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      const send = () => res.write(`event: run\ndata: ${JSON.stringify(redactDeep(store.getRun(id)))}\n\n`);
      send();
      let pending: NodeJS.Timeout | null = null;
      // Coalesce bursts of results into at most a few updates a second.
      const onChange = () => (pending ??= setTimeout(() => ((pending = null), send()), 250));
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      deps.events.on(`run:${id}`, onChange);
      req.on('close', () => {
        deps.events.off(`run:${id}`, onChange);
        clearInterval(keepAlive);
        if (pending) clearTimeout(pending);
      });
    }),
  );
  api.get(
    '/gate',
    route((req) => {
      const q = parse(GateQuery, req.query, 'query');
      const bare = q.version.replace(/^v/, '');
      const runs = store.runsFor(q.library, bare);
      if (!runs.length) runs.push(...store.runsFor(q.library, q.version));
      if (!runs.length) return { status: 404, body: { ...gateOf([]), error: `no run for ${q.library} ${q.version}` } };
      if (!gateRuns(runs).length) {
        // Runs that asked for another baseline answer their own question, never the gate's; a cancelled run is no run.
        if (runs.every((r) => r.verdict === 'cancelled')) return { status: 404, body: { ...gateOf([]), error: `no run for ${q.library} ${q.version}: its runs were cancelled (${runs.slice(0, 5).map((r) => r.id).join(', ')})` } };
        const others = runs.filter((r) => r.verdict !== 'cancelled').slice(0, 5).map((r) => `${r.id} (baseline ${r.baseline})`).join(', ');
        return { status: 404, body: { ...gateOf([]), error: `no run for ${q.library} ${q.version} against its own baseline; runs with other baselines do not decide the gate: ${others}` } };
      }
      return { status: 200, body: gateOf(runs) };
    }),
  );
  api.get(
    '/history',
    route((req) => {
      const q = parse(z.object({ library: z.string().min(1).max(100), consumer: z.string().min(1).max(100) }), req.query, 'query');
      return { status: 200, body: store.consumerHistory(q.library, q.consumer) };
    }),
  );
  api.use(route(() => ({ status: 404, body: { error: 'no such API route' } })));
  app.use('/api', api);

  const dist = path.join(REPO_ROOT, 'dashboards', 'dist');
  if (existsSync(dist)) {
    app.use(
      express.static(dist, {
        index: 'index.html',
        maxAge: '1h',
        // Bundles are content-hashed; the shell that names them must be revalidated, or a rebuild goes unseen.
        setHeaders: (res, file) => {
          if (file.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
        },
      }),
    );
    // Client-side routes (/runs/:id ...) get the app shell.
    app.get(/^\/(runs|consumers)(\/.*)?$/, (_req, res) => res.sendFile(path.join(dist, 'index.html')));
  } else {
    app.get('/', (_req, res) => res.type('text/plain').send('compat-matrix: dashboard not built (npm run build)\n'));
  }

  app.use(errorHandler(deps.log));
  return app;
}
