/** Liveness, readiness and the Prometheus scrape. */
import type { IRouter } from 'express';
import { route } from '../handler.js';
import type { Metrics } from '../../metrics/metrics.js';

/** Always answers, token or not: the process is up. */
export const healthz = route(() => ({ status: 200, body: { ok: true } }));

export function probeRoutes(app: IRouter, deps: { metrics: Metrics; ready(): Promise<Record<string, boolean>> }): void {
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
}
