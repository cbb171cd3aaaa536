/** The run's new failures by cause, as `compat report` and `run --wait` print them above the table. */
import { clusterTotals } from '../common/clusters/cluster.js';
import type { ClusterJson, ClustersTotal } from '../common/types.js';

/** Causes printed, largest first; the JSON (`--json`) has them all. */
const SHOWN = 10;
const TESTS_SHOWN = 3;

export function renderClusters(clusters: ClusterJson[] | undefined, totals?: ClustersTotal): string[] {
  if (!clusters?.length) return [];
  const { failures: total, causes } = clusterTotals(clusters, totals);
  const lines = [`${total} new failure${total === 1 ? '' : 's'}, ${causes} cause${causes === 1 ? '' : 's'}:`];
  for (const c of clusters.slice(0, SHOWN)) {
    lines.push(`  ${c.count} x ${c.message}`);
    if (c.frame) lines.push(`      at ${c.frame}`);
    lines.push(`      in ${c.cells.join(', ')}: ${c.tests.slice(0, TESTS_SHOWN).join(', ')}${(c.testsTotal ?? c.tests.length) > TESTS_SHOWN ? ` (+${(c.testsTotal ?? c.tests.length) - TESTS_SHOWN} more)` : ''}`);
  }
  // The JSON lists the largest RUN_JSON_IDS_MAX causes; beyond them, the cells' pages have every failure.
  if (causes > SHOWN) lines.push(`  (+${causes - SHOWN} more causes${causes > clusters.length ? `; --json lists the largest ${clusters.length}` : ': --json lists them all'})`);
  return lines;
}
