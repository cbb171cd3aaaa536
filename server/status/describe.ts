/**
 * A run as a commit status: the state (CONTRACT "Status check": pending, then success for pass,
 * failure for blocked, error for incomplete) and a description that fits GitHub's 140 characters and
 * always names the count of regressions.
 */
import type { RunJson, RunVerdict } from '../../common/types.js';
import { allFailingNote } from '../../common/verdict.js';
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
  const culprits = firstBad(run);
  if (!culprits) return truncate(`${head}${tail}${names}`);
  // The commit matters more than the cells' names: these go first when both do not fit.
  const full = `${head}${tail}${names}; ${culprits}`;
  return truncate(Array.from(full).length <= DESCRIPTION_MAX ? full : `${head}${tail}; ${culprits}`);
}

/** `first bad: abc1234 Subject` of the bisects that found one (distinct commits, in cell order). */
function firstBad(run: RunJson): string | null {
  const commits = new Map<string, string>();
  for (const cell of run.cells) {
    const commit = cell.bisect?.status === 'found' ? cell.bisect.firstBad : undefined;
    if (commit && !commits.has(commit.sha)) commits.set(commit.sha, `${commit.sha.slice(0, 7)} ${commit.subject}`);
  }
  return commits.size ? `first bad: ${[...commits.values()].join(', ')}` : null;
}
