/** Prometheus metrics (prom-client): what an operator graphs and alerts on. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LANES, type Queues } from '../../common/queue/bullmq.js';
import type { SideResultPayload } from '../../common/queue/jobs.js';
import type { RunJson, Side } from '../../common/types.js';
import type { Store } from '../store/store.js';

export interface Metrics {
  registry: Registry;
  runsCreated: Counter<'trigger'>;
  runsFinished: Counter<'verdict'>;
  cellsFinished: Counter<'verdict'>;
  resultsHandled: Counter<'kind'>;
  webhooks: Counter<'outcome'>;
  /** A finished side: executed or reused, and where an executed one's time went. */
  observeSide(side: Side, result: SideResultPayload): void;
  /** From a run's creation to its verdict. */
  timeToVerdict: Histogram<'verdict'>;
  /** From a cell side's enqueue to a worker taking it. */
  queueWait: Histogram<'backend'>;
}

/** Runs take minutes to hours; a queue wait from milliseconds to hours. */
const VERDICT_BUCKETS = [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
const WAIT_BUCKETS = [0.05, 0.25, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
const RUN_STATES = ['queued', 'running', 'done'] as const;

export function observeRunFinished(metrics: Metrics, run: RunJson): void {
  metrics.runsFinished.inc({ verdict: run.verdict });
  for (const cell of run.cells) metrics.cellsFinished.inc({ verdict: cell.verdict });
  if (run.finishedAt) metrics.timeToVerdict.observe({ verdict: run.verdict }, Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.createdAt)) / 1000);
}

export function createMetrics(queues: Queues, store: Pick<Store, 'runCountsByStatus'>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'compat_process_' });
  const sides = new Counter({
    name: 'compat_sides_total',
    help: 'Cell sides finished, by side and whether they ran or reused an earlier baseline result',
    labelNames: ['side', 'source'],
    registers: [registry],
  });
  const buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
  const phases = new Histogram({
    name: 'compat_side_phase_seconds',
    help: 'Time a cell side spent per phase (resolve, database, checkout, install, install-candidate, container, test...)',
    labelNames: ['side', 'phase'],
    buckets,
    registers: [registry],
  });
  const overhead = new Histogram({
    name: 'compat_side_overhead_seconds',
    help: "From a cell side's start to its test command's start",
    labelNames: ['side'],
    buckets,
    registers: [registry],
  });
  const metrics: Metrics = {
    registry,
    runsCreated: new Counter({ name: 'compat_runs_created_total', help: 'Runs planned, by trigger', labelNames: ['trigger'], registers: [registry] }),
    runsFinished: new Counter({ name: 'compat_runs_finished_total', help: 'Runs finished, by verdict', labelNames: ['verdict'], registers: [registry] }),
    cellsFinished: new Counter({ name: 'compat_cells_finished_total', help: 'Cells decided, by verdict', labelNames: ['verdict'], registers: [registry] }),
    resultsHandled: new Counter({ name: 'compat_results_handled_total', help: 'Messages applied from the results queue', labelNames: ['kind'], registers: [registry] }),
    webhooks: new Counter({ name: 'compat_webhooks_total', help: 'Webhook deliveries, by outcome', labelNames: ['outcome'], registers: [registry] }),
    observeSide: (side, result) => {
      sides.inc({ side, source: result.reusedFrom ? 'reused' : 'executed' });
      if (result.reusedFrom) return;
      for (const [phase, ms] of Object.entries(result.phases ?? {})) phases.observe({ side, phase }, ms / 1000);
      if (result.overheadMs !== null) overhead.observe({ side }, result.overheadMs / 1000);
    },
    timeToVerdict: new Histogram({ name: 'compat_run_time_to_verdict_seconds', help: "From a run's creation to its verdict", labelNames: ['verdict'], buckets: VERDICT_BUCKETS, registers: [registry] }),
    queueWait: new Histogram({ name: 'compat_queue_wait_seconds', help: 'From a cell side entering its queue to a worker taking it, by backend', labelNames: ['backend'], buckets: WAIT_BUCKETS, registers: [registry] }),
  };
  new Gauge({
    name: 'compat_runs',
    help: 'Runs in the store, by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = store.runCountsByStatus();
      for (const state of RUN_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'compat_queue_jobs',
    help: 'Jobs in the work queues (builds and every backend), by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const totals: Record<string, number> = {};
      for (const lane of LANES) {
        const counts = await queues.jobCounts(lane, ['waiting', 'active', 'delayed', 'failed', 'prioritized']);
        for (const [state, n] of Object.entries(counts)) totals[state] = (totals[state] ?? 0) + n;
      }
      for (const [state, n] of Object.entries(totals)) this.set({ state }, n);
    },
  });
  return metrics;
}
