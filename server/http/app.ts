/**
 * The HTTP surface of `compat server` (CONTRACT "HTTP"): runs API, gate, logs, health, metrics, the
 * dashboard and the queue board. Webhooks mount their own router. Each resource's routes are in
 * routes/; they register on the router handed to them rather than on routers of their own, so that
 * the API's 404 (and no per-router OPTIONS answer) follows every route as before.
 */
import express, { type Router } from 'express';
import { EventEmitter } from 'node:events';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import type { ResolvedMatrix } from '../../common/matrix/load.js';
import type { Queues } from '../../common/queue/bullmq.js';
import { loginRouter, readGuard, requireToken } from '../auth/access.js';
import type { Tokens } from '../auth/tokens.js';
import type { LogFollowers } from '../logs/followers.js';
import type { Orchestrator } from '../runs/orchestrator.js';
import type { Store } from '../store/store.js';
import { errorHandler, redactJsonAnswers, route } from './handler.js';
import type { Metrics } from '../metrics/metrics.js';
import { bisectRoutes } from './routes/bisect.js';
import { cellRoutes } from './routes/cells.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { gateRoutes } from './routes/gate.js';
import { historyRoutes } from './routes/history.js';
import { logRoutes } from './routes/logs.js';
import { healthz, probeRoutes } from './routes/probes.js';
import { flakeRoutes } from './routes/flakes.js';
import { quarantineRoutes } from './routes/quarantine.js';
import { runRoutes } from './routes/runs.js';

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

export function createApp(deps: AppDeps): express.Express {
  const { store, config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(redactJsonAnswers);
  const auth = requireToken(deps.tokens);

  app.get('/healthz', healthz);
  if (config.readTokenRequired) {
    // A private deployment: from here on (webhooks aside) every route needs a token, the dashboard included.
    app.use(loginRouter(deps.tokens, config));
    app.use(readGuard(deps.tokens));
  }
  probeRoutes(app, deps);

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
  // No two of these share a method and path, so their order decides nothing; the 404 must come last.
  runRoutes(api, { ...deps, auth, streamCaps: config.streamCaps });
  cellRoutes(api, { store });
  bisectRoutes(api, { orchestrator: deps.orchestrator, auth });
  logRoutes(api, { config, store, logs: deps.queues.data.logs, followers: deps.followers });
  gateRoutes(api, { store });
  historyRoutes(api, { store });
  quarantineRoutes(api, { store, matrix: deps.matrix, auth });
  flakeRoutes(api, { store, orchestrator: deps.orchestrator, matrix: deps.matrix, auth });
  api.use(route(() => ({ status: 404, body: { error: 'no such API route' } })));
  app.use('/api', api);

  dashboardRoutes(app);

  app.use(errorHandler(deps.log));
  return app;
}
