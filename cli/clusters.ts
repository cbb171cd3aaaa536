/** The run's new failures by cause, as `compat report` and `run --wait` print them above the table. */
import type { ClusterJson } from '../common/types.js';

/** Causes printed, largest first; the JSON (`--json`) has them all. */
const SHOWN = 10;
const TESTS_SHOWN = 3;

export function renderClusters(clusters: ClusterJson[] | undefined): string[] {
  if (!clusters?.length) return [];
  const total = clusters.reduce((n, c) => n + c.count, 0);
  const lines = [`${total} new failure${total === 1 ? '' : 's'}, ${clusters.length} cause${clusters.length === 1 ? '' : 's'}:`];
  for (const c of clusters.slice(0, SHOWN)) {
    lines.push(`  ${c.count} x ${c.message}`);
    if (c.frame) lines.push(`      at ${c.frame}`);
    lines.push(`      in ${c.cells.join(', ')}: ${c.tests.slice(0, TESTS_SHOWN).join(', ')}${c.tests.length > TESTS_SHOWN ? ` (+${c.tests.length - TESTS_SHOWN} more)` : ''}`);
  }
  if (clusters.length > SHOWN) lines.push(`  (+${clusters.length - SHOWN} more causes: --json lists them all)`);
  return lines;
}
