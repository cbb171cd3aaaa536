/** Prometheus metrics (prom-client): what an operator graphs and alerts on. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queues } from '../../common/queue/bullmq.js';
import type { SideResultPayload } from '../../common/queue/jobs.js';
import type { Side } from '../../common/types.js';

export interface Metrics {
  registry: Registry;
  runsCreated: Counter<'trigger'>;
  runsFinished: Counter<'verdict'>;
  cellsFinished: Counter<'verdict'>;
  resultsHandled: Counter<'kind'>;
  webhooks: Counter<'outcome'>;
  /** A finished side: executed or reused, and where an executed one's time went. */
  observeSide(side: Side, result: SideResultPayload): void;
}

export function createMetrics(queues: Queues): Metrics {
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
  };
  new Gauge({
    name: 'compat_queue_jobs',
    help: 'Jobs in the work queue, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await queues.work.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  return metrics;
}
