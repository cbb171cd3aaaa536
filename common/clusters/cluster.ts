/**
 * New failures grouped by cause, across cells and consumers: 300 failures read as the three causes
 * they are. Pure: the store hands it each failure's message, the run's JSON, the CLI and the status
 * description show what it returns.
 */
import type { ClusterJson, ClustersTotal } from '../types.js';
import { causeIn, packageDirs, type FailureCause } from './normalise.js';

/** One new failure of a run: which cell, which test, and its message on the candidate (or its cause, worked out before). */
export interface NewFailure {
  cell: string;
  test: string;
  message?: string;
  cause?: FailureCause;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The clusters of `failures`, largest first (then by message): one per normalised first line and
 * library frame. A cluster's `message` is the first line of its first failure in cell and test order,
 * so the same run always shows the same words.
 */
export function clusterFailures(failures: NewFailure[], library: string[] = []): ClusterJson[] {
  const dirs = packageDirs(library);
  const ordered = [...failures].sort((a, b) => compare(a.cell, b.cell) || compare(a.test, b.test));
  const groups = new Map<string, { cluster: ClusterJson; cells: Set<string>; tests: Set<string> }>();
  for (const failure of ordered) {
    const cause = failure.cause ?? causeIn(failure.message, dirs);
    const key = cause.frame ? `${cause.pattern}\u0000${cause.frame}` : cause.pattern;
    let group = groups.get(key);
    if (!group) {
      const cluster: ClusterJson = { message: cause.line || cause.pattern, pattern: cause.pattern, ...(cause.frame ? { frame: cause.frame } : {}), count: 0, cells: [], tests: [] };
      group = { cluster, cells: new Set(), tests: new Set() };
      groups.set(key, group);
    }
    group.cluster.count++;
    group.cells.add(failure.cell);
    group.tests.add(failure.test);
  }
  return [...groups.values()]
    .map(({ cluster, cells, tests }) => ({ ...cluster, cells: [...cells], tests: [...tests] }))
    .sort((a, b) => b.count - a.count || compare(a.message, b.message));
}

const MESSAGE_MAX = 500;

/**
 * What a run's JSON carries of its clusters: the largest `max`, each naming at most `max` tests and
 * cells, with the totals of what was cut, so a suite that reports 10,000 distinct failures keeps the
 * run's JSON small (the cell route pages every failure).
 */
export function shownClusters(clusters: ClusterJson[], max: number): { clusters: ClusterJson[]; clustersTotal?: ClustersTotal } {
  const cut = (c: ClusterJson): ClusterJson => ({
    ...c,
    // A hostile suite's first line can be any length: the JSON keeps enough of it to read.
    message: c.message.length > MESSAGE_MAX ? `${c.message.slice(0, MESSAGE_MAX - 1)}…` : c.message,
    pattern: c.pattern.length > MESSAGE_MAX ? `${c.pattern.slice(0, MESSAGE_MAX - 1)}…` : c.pattern,
    tests: c.tests.length > max ? c.tests.slice(0, max) : c.tests,
    cells: c.cells.length > max ? c.cells.slice(0, max) : c.cells,
    ...(c.tests.length > max ? { testsTotal: c.tests.length } : {}),
    ...(c.cells.length > max ? { cellsTotal: c.cells.length } : {}),
  });
  const shown = clusters.slice(0, max).map(cut);
  return clusters.length > max ? { clusters: shown, clustersTotal: clusterTotals(clusters) } : { clusters: shown };
}

/** A run's causes and new failures in all: its JSON's totals when its list was cut, else counted. */
export function clusterTotals(clusters: ClusterJson[] | undefined, total?: ClustersTotal): ClustersTotal {
  return total ?? { causes: clusters?.length ?? 0, failures: (clusters ?? []).reduce((n, c) => n + c.count, 0) };
}

/**
 * The clusters in one line, as the status description and the CLI lead with them: `13 new failures,
 * 2 causes: MESSAGE x 9 in a.mysql, b.mysql; MESSAGE x 4 in c.sqlite`. At most `shown` causes and
 * `maxLength` characters, without the cells with `cells: false`; null when there are no new failures.
 */
export function clustersLine(clusters: ClusterJson[], options: { shown?: number; maxLength?: number; messageMax?: number; cells?: boolean; totals?: ClustersTotal } = {}): string | null {
  const { failures: total, causes } = clusterTotals(clusters, options.totals);
  if (!total) return null;
  const shown = options.shown ?? 3;
  const messageMax = options.messageMax ?? 80;
  const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
  const where = (c: ClusterJson) => {
    const cells = c.cellsTotal ?? c.cells.length;
    return options.cells === false ? '' : ` in ${c.cells.slice(0, 3).join(', ')}${cells > 3 ? ` (+${cells - 3})` : ''}`;
  };
  const parts = clusters.slice(0, shown).map((c) => `${cut(c.message, messageMax)} x ${c.count}${where(c)}`);
  const more = causes > shown ? `; +${causes - shown} more` : '';
  const line = `${total} new failure${total === 1 ? '' : 's'}, ${causes} cause${causes === 1 ? '' : 's'}: ${parts.join('; ')}${more}`;
  return options.maxLength ? cut(line, options.maxLength) : line;
}
