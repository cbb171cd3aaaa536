/**
 * A run as a commit status: the state (CONTRACT "Status check": pending, then success for pass,
 * failure for blocked, error for incomplete) and a description that fits GitHub's 140 characters and
 * always names the count of regressions.
 */
import type { RunJson, RunVerdict } from '../../common/types.js';
import { clustersLine } from '../../common/clusters/cluster.js';
import { NO_MESSAGE } from '../../common/clusters/normalise.js';
import { allFailingNote } from '../../common/verdict.js';
import { culpritsOf, isGrouped } from '../../common/bisect-words.js';
import type { StatusState } from '../store/status-reports.js';

export const DESCRIPTION_MAX = 140;

export function stateOf(run: Pick<RunJson, 'status' | 'verdict'>): StatusState {
  if (run.status !== 'done') return 'pending';
  const byVerdict: Record<RunVerdict, StatusState> = { pass: 'success', blocked: 'failure', incomplete: 'error', pending: 'pending', cancelled: 'error' };
  return byVerdict[run.verdict];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Cuts to `max` characters (code points, so an emoji is never split), marking the cut. */
export function truncate(text: string, max = DESCRIPTION_MAX): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export function describeRun(run: RunJson, state: StatusState): string {
  const cells = run.cells.length;
  const against = `${run.candidateVersion} vs ${run.baselineVersion}`;
  if (state === 'pending') {
    const consumers = new Set(run.cells.map((c) => c.consumer)).size;
    return truncate(`Testing ${plural(consumers, 'consumer')} in ${plural(cells, 'cell')}: ${against}`);
  }
  if (run.verdict === 'cancelled') return truncate(`Cancelled before its verdict (${against}); no verdict for the release`);
  const count = (verdict: string) => run.cells.filter((c) => c.verdict === verdict).length;
  const regressions = run.cells.filter((c) => c.verdict === 'regression');
  const extras = [
    count('error') ? `${count('error')} could not run` : '',
    count('flaky') ? `${count('flaky')} flaky` : '',
    count('fixed') ? `${count('fixed')} fixed` : '',
  ].filter(Boolean);
  // Every cell failing on both sides passes (nothing new broke) and must not read as "all green".
  const failing = allFailingNote(run);
  const head = failing ? `${failing} (${plural(cells, 'cell')}, ${against}); 0 regressions` : `${plural(regressions.length, 'regression')} in ${plural(cells, 'cell')} (${against})`;
  const tail = extras.length ? `; ${extras.join(', ')}` : '';
  // A regression the schema diff found (issue 19) says so: no test failed there.
  const names = regressions.length ? `: ${regressions.map((c) => (c.schemaChanges?.length && c.reason?.startsWith('schema differs') ? `${c.id} (schema)` : c.id)).join(', ')}` : '';
  // Causes without a word of message (a timeout, a suite without JUnit messages) say no more than the cells' names.
  if (run.clusters?.some((c) => c.message !== NO_MESSAGE)) return withClusters(`${head}${tail}`, run);
  const culprits = firstBad(run);
  if (!culprits) return truncate(`${head}${tail}${names}`);
  // The commit matters more than the cells' names: these go first when both do not fit.
  const full = `${head}${tail}${names}; ${culprits}`;
  return truncate(Array.from(full).length <= DESCRIPTION_MAX ? full : `${head}${tail}; ${culprits}`);
}

/**
 * The count, then the causes (`9 new failures, 1 cause: You have an error... x 9 in a.mysql, b.mysql`),
 * then the first bad commit: the widest wording of the causes that fits, the cells' names going first.
 */
function withClusters(head: string, run: RunJson): string {
  const clusters = run.clusters ?? [];
  const length = (text: string) => Array.from(text).length;
  // Widest first: the subject of the first bad commit, then the cells' names, then the message's length give way.
  for (const subjects of [true, false]) {
    const culprits = firstBad(run, subjects);
    const end = culprits ? `; ${culprits}` : '';
    for (const [shown, cells, least] of [[2, true, 40], [1, true, 40], [1, false, 40], [1, false, 25]] as const) {
      // Each shown message gives up an equal share of what is over.
      const over = length(`${head}; ${clustersLine(clusters, { shown, cells, messageMax: 60, totals: run.clustersTotal })}${end}`) - DESCRIPTION_MAX;
      const messageMax = over <= 0 ? 60 : 60 - Math.ceil(over / Math.min(shown, clusters.length));
      if (messageMax >= least) return truncate(`${head}; ${clustersLine(clusters, { shown, cells, messageMax, totals: run.clustersTotal })}${end}`);
    }
  }
  const culprits = firstBad(run, false);
  return truncate(`${head}${culprits ? `; ${culprits}` : ''}; ${clustersLine(clusters, { shown: 1, messageMax: 25, cells: false, totals: run.clustersTotal })}`);
}

/**
 * `first bad: abc1234 Subject` of the bisects that found one (distinct commits, in cell order); a
 * bisect with several causes names each with its tests' count (`abc1234 Subject (12 tests)`).
 */
function firstBad(run: RunJson, subjects = true): string | null {
  const commits = new Map<string, string>();
  const seen = new Set<string>();
  for (const cell of run.cells) {
    const b = cell.bisect;
    if (b?.status !== 'found' || seen.has(cell.consumer)) continue;
    seen.add(cell.consumer);
    for (const c of culpritsOf(b)) {
      const n = c.testsTotal ?? c.tests.length;
      const count = isGrouped(b) ? ` (${n} test${n === 1 ? '' : 's'})` : '';
      if (!commits.has(c.firstBad.sha)) commits.set(c.firstBad.sha, `${c.firstBad.sha.slice(0, 7)}${subjects ? ` ${c.firstBad.subject}` : ''}${count}`);
    }
  }
  return commits.size ? `first bad: ${[...commits.values()].join(', ')}` : null;
}
