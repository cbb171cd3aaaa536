/**
 * The run page's lead: its new failures grouped by cause (the server's `clusters`, common/clusters),
 * largest first, each with its cells and a link to each test on its cell's page.
 */
import type { CellJson, ClusterJson, ClustersTotal } from '../../../common/types.js';

/** Tests listed per cause before the rest fold away. */
const TESTS_SHOWN = 8;

export function ClustersSection({ runId, clusters, totals, cells, cellHref }: { runId: string; clusters: ClusterJson[] | undefined; totals?: ClustersTotal; cells: CellJson[]; cellHref: (runId: string, cellId: string) => string }) {
  if (!clusters?.length) return null;
  // The run's JSON lists the largest causes only when there are very many: the totals count them all.
  const { failures: total, causes } = totals ?? { causes: clusters.length, failures: clusters.reduce((n, c) => n + c.count, 0) };
  const byId = new Map(cells.map((c) => [c.id, c]));
  // A test's cell: the first of the cluster's cells that lists it (a run's JSON lists a cell's first 50).
  const cellOf = (cluster: ClusterJson, test: string) => cluster.cells.find((id) => byId.get(id)?.newFailures.includes(test)) ?? cluster.cells[0];
  const testLink = (cluster: ClusterJson, test: string) => (
    <li key={test}>
      <a class="mono" href={`${cellHref(runId, cellOf(cluster, test))}#new-failures`}>
        {test}
      </a>
    </li>
  );
  return (
    <section class="section clusters" aria-labelledby="clusters-title">
      <div class="section-head">
        <h2 id="clusters-title">
          {total} new failure{total === 1 ? '' : 's'}, {causes} cause{causes === 1 ? '' : 's'}{causes > clusters.length ? ` (the largest ${clusters.length} shown)` : ''}
        </h2>
      </div>
      <ol class="cluster-list">
        {clusters.map((cluster, i) => (
          <li key={i} class="cluster" data-count={cluster.count}>
            <p class="cluster-head">
              <span class="cluster-count">{cluster.count} ×</span> <code class="cluster-message" title={cluster.pattern}>{cluster.message}</code>
            </p>
            {cluster.frame && <p class="muted cluster-frame">at <span class="mono">{cluster.frame}</span></p>}
            <p class="cluster-cells">
              in{' '}
              {cluster.cells.map((id, j) => (
                <span key={id}>
                  {j > 0 && ', '}
                  <a class="mono" href={cellHref(runId, id)}>
                    {id}
                  </a>
                </span>
              ))}
            </p>
            <ul class="cluster-tests">{cluster.tests.slice(0, TESTS_SHOWN).map((t) => testLink(cluster, t))}</ul>
            {cluster.tests.length > TESTS_SHOWN && (
              <details>
                <summary>{(cluster.testsTotal ?? cluster.tests.length) - TESTS_SHOWN} more tests</summary>
                <ul class="cluster-tests">{cluster.tests.slice(TESTS_SHOWN).map((t) => testLink(cluster, t))}</ul>
              </details>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
