/** Runs: create (write token), list, one run, cancel (write token), and a run's change events. */
import type { IRouter } from 'express';
import type { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { StreamCaps } from '../../../common/config.js';
import type { ResolvedMatrix } from '../../../common/matrix/load.js';
import { redactDeep } from '../../../common/redact.js';
import type { requireToken } from '../../auth/access.js';
import { PlanError, RunRequest } from '../../planner/plan.js';
import type { Orchestrator } from '../../runs/orchestrator.js';
import type { Store } from '../../store/store.js';
import { HttpError, parse, route } from '../handler.js';
import type { Metrics } from '../../metrics/metrics.js';
import { StreamCap } from '../stream-caps.js';

export interface RunRoutesDeps {
  store: Store;
  orchestrator: Orchestrator;
  metrics: Metrics;
  matrix(): ResolvedMatrix;
  events: EventEmitter;
  auth: ReturnType<typeof requireToken>;
  streamCaps: StreamCaps;
}

const ListQuery = z.object({ library: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() });

export function runRoutes(api: IRouter, deps: RunRoutesDeps): void {
  const { store, auth } = deps;
  const caps = deps.streamCaps;
  const eventCap = new StreamCap({
    what: 'event listeners',
    total: caps.eventListeners,
    perClient: caps.eventListenersPerClient,
    totalEnv: 'COMPAT_MAX_EVENT_LISTENERS',
    perClientEnv: 'COMPAT_MAX_EVENT_LISTENERS_PER_CLIENT',
  });

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
      const run = store.getRunWithClusters(String(req.params.id));
      if (!run) throw new HttpError(404, `no run "${req.params.id}"`);
      return { status: 200, body: run };
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
    '/runs/:id/events',
    route((req, res) => {
      const id = String(req.params.id);
      if (!store.runRecord(id)) throw new HttpError(404, `no run "${id}"`);
      eventCap.take(req, res);
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      const send = () => res.write(`event: run\ndata: ${JSON.stringify(redactDeep(store.getRunWithClusters(id)))}\n\n`);
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
}
