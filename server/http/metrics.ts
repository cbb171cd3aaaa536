/** Prometheus metrics (prom-client): what an operator graphs and alerts on. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queues } from '../../common/queue/bullmq.js';

export interface Metrics {
  registry: Registry;
  runsCreated: Counter<'trigger'>;
  runsFinished: Counter<'verdict'>;
  cellsFinished: Counter<'verdict'>;
  resultsHandled: Counter<'kind'>;
  webhooks: Counter<'outcome'>;
}

export function createMetrics(queues: Queues): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'compat_process_' });
  const metrics: Metrics = {
    registry,
    runsCreated: new Counter({ name: 'compat_runs_created_total', help: 'Runs planned, by trigger', labelNames: ['trigger'], registers: [registry] }),
    runsFinished: new Counter({ name: 'compat_runs_finished_total', help: 'Runs finished, by verdict', labelNames: ['verdict'], registers: [registry] }),
    cellsFinished: new Counter({ name: 'compat_cells_finished_total', help: 'Cells decided, by verdict', labelNames: ['verdict'], registers: [registry] }),
    resultsHandled: new Counter({ name: 'compat_results_handled_total', help: 'Messages applied from the results queue', labelNames: ['kind'], registers: [registry] }),
    webhooks: new Counter({ name: 'compat_webhooks_total', help: 'Webhook deliveries, by outcome', labelNames: ['outcome'], registers: [registry] }),
  };
  new Gauge({
    name: 'compat_queue_jobs',
    help: 'Jobs in the work queue, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const totals: Record<string, number> = {};
      for (const queue of Object.values(queues.lanes)) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        for (const [state, n] of Object.entries(counts)) totals[state] = (totals[state] ?? 0) + n;
      }
      for (const [state, n] of Object.entries(totals)) this.set({ state }, n);
    },
  });
  return metrics;
}
