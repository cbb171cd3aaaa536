/**
 * A worker's Prometheus metrics (prom-client), served on `--metrics-port`: its slots, how long cell
 * sides and each of their phases take by backend, cache hits, janitor sweeps and engine errors.
 * metrics/grafana-dashboard.json graphs them.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SideResultPayload } from '../../common/queue/jobs.js';
import type { Backend } from '../../common/types.js';
import { engineStatus } from '../../common/docker/engine.js';
import type { Readiness } from '../readiness.js';

/** Cell sides take seconds to many minutes. */
const SIDE_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600];
/** Phases run from milliseconds (a cached checkout) to the whole side. */
const PHASE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

/** Caches a worker looks things up in; issue-10 snapshots report as `snapshot`. */
export type CacheName = 'artifact' | 'snapshot';

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly slots: Gauge<'state'>;
  private readonly sideSeconds: Histogram<'backend' | 'status'>;
  private readonly phaseSeconds: Histogram<'backend' | 'phase'>;
  private readonly cache: Counter<'cache' | 'outcome'>;
  private readonly sweeps: Counter<never>;
  private readonly swept: Counter<'kind'>;
  private readonly engineErrors: Counter<never>;
  /** How many containers the engine refuses to remove, asked at each scrape. */
  private heldCount: () => number = () => 0;

  constructor(readonly concurrency: number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'compat_worker_process_' });
    this.slots = new Gauge({ name: 'compat_worker_slots', help: 'Job slots of this worker, busy and free', labelNames: ['state'], registers });
    this.sideSeconds = new Histogram({ name: 'compat_worker_cell_side_seconds', help: 'Cell side duration, by backend and outcome', labelNames: ['backend', 'status'], buckets: SIDE_BUCKETS, registers });
    this.phaseSeconds = new Histogram({ name: 'compat_worker_phase_seconds', help: "Duration of each phase of a cell side (the names the side result carries), by backend", labelNames: ['backend', 'phase'], buckets: PHASE_BUCKETS, registers });
    this.cache = new Counter({ name: 'compat_worker_cache_lookups_total', help: 'Cache lookups (artifacts, install snapshots), by outcome', labelNames: ['cache', 'outcome'], registers });
    this.sweeps = new Counter({ name: 'compat_worker_janitor_sweeps_total', help: 'Janitor sweeps for what dead workers left', registers });
    this.swept = new Counter({ name: 'compat_worker_janitor_removed_total', help: 'Containers and cell databases the janitor removed', labelNames: ['kind'], registers });
    this.engineErrors = new Counter({ name: 'compat_worker_engine_errors_total', help: 'Docker engine requests that failed (unreachable, API errors)', registers });
    const held = () => this.heldCount();
    new Gauge({
      name: 'compat_worker_engine_stuck_containers',
      help: 'Containers the engine refuses to remove (its driver fails to remove their files); still retried, named on /readyz',
      registers,
      collect() {
        this.set(held());
      },
    });
    // Every series a dashboard panel reads exists from the start, at zero.
    this.setBusy(0);
    for (const cache of ['artifact', 'snapshot'] as const) for (const outcome of ['hit', 'miss']) this.cache.inc({ cache, outcome }, 0);
    for (const kind of ['containers', 'databases']) this.swept.inc({ kind }, 0);
    this.sweeps.inc(0);
    this.engineErrors.inc(0);
  }

  setBusy(busy: number): void {
    this.slots.set({ state: 'busy' }, busy);
    this.slots.set({ state: 'free' }, Math.max(0, this.concurrency - busy));
  }

  observeSide(backend: Backend, result: SideResultPayload): void {
    this.sideSeconds.observe({ backend, status: result.status }, result.durationMs / 1000);
    for (const [phase, ms] of Object.entries(phasesOf(result))) this.phaseSeconds.observe({ backend, phase }, ms / 1000);
  }

  cacheLookup(cache: CacheName, hit: boolean): void {
    this.cache.inc({ cache, outcome: hit ? 'hit' : 'miss' });
  }

  janitorSwept(report: { containers: number; databases: number }): void {
    this.sweeps.inc();
    this.swept.inc({ kind: 'containers' }, report.containers);
    this.swept.inc({ kind: 'databases' }, report.databases);
  }

  /** Where the engine-held containers are counted from (the worker's removals). */
  countHeldContainers(count: () => number): void {
    this.heldCount = count;
  }

  engineError(): void {
    this.engineErrors.inc();
  }

  /**
   * Serves /metrics on `port` (0: any free one), and the worker's /readyz when `ready` is given
   * (readiness.ts: 200 with warnings, 503 when a check fails); resolves to the server, to close on stop.
   */
  serve(port: number, host: string, ready?: () => Promise<Readiness>): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url === '/readyz' && ready) {
        ready().then(
          (body) => res.writeHead(body.ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify(body)),
          () => res.writeHead(500).end('readiness failed\n'),
        );
        return;
      }
      if (req.url !== '/metrics') {
        res.writeHead(404).end(`not found: try /metrics${ready ? ' or /readyz' : ''}\n`);
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(text),
        () => res.writeHead(500).end('metrics failed\n'),
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}

/**
 * The side's phases as its result names them (`phases: {name: ms}`); a result without them still has
 * the split every side reports: up to the test command (`setup`) and the test command (`test`).
 */
export function phasesOf(result: SideResultPayload): Record<string, number> {
  if (result.phases && Object.keys(result.phases).length > 0) return result.phases;
  if (result.overheadMs === null || result.status === 'error') return {};
  return { setup: result.overheadMs, test: Math.max(0, result.durationMs - result.overheadMs) };
}

/** A failure of the Docker engine itself (socket gone, API error), as opposed to a cell's outcome. */
export function isEngineError(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if ((engineStatus(e) ?? 0) >= 500) return true;
  if (typeof e.code === 'string' && ['ECONNREFUSED', 'ENOENT', 'EPIPE', 'ECONNRESET', 'EACCES'].includes(e.code)) return true;
  return e.cause ? isEngineError(e.cause) : false;
}
