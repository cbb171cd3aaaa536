/** The verdict table: consumer x backend, verdict, counts and durations of both sides. */
import { describeCriticalPath } from '../common/timing/critical-path.js';
import Table from 'cli-table3';
import type { BisectCommit, BisectJson, CellJson, RunJson, SideSummary } from '../common/wire.js';
import { bisectedOnNote, culpritLine, culpritsOf, isGrouped } from '../common/bisect-words.js';
import { allFailingNote, isFinished } from '../common/verdict.js';
import { renderClusters } from './clusters.js';

const ICON: Record<CellJson['verdict'], string> = {
  pass: '✓ pass',
  regression: '✗ REGRESSION',
  flaky: '~ flaky',
  fixed: '↑ fixed',
  failing: '· failing',
  error: '! error',
  pending: '… pending',
  running: '▶ running',
};

function seconds(ms: number | null): string {
  return ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`;
}

function side(s: SideSummary): string {
  if (!isFinished(s.status)) return s.status;
  const counts = `${s.tests.passed}/${s.tests.failed}/${s.tests.skipped}`;
  return `${s.status} ${counts} ${seconds(s.durationMs)}${s.status === 'error' && s.reason ? ` (${s.reason.slice(0, 60)})` : ''}`;
}

/** Long test ids lose the start of their class: the test's own name, at the end, is what says most. */
function shortId(id: string, max = 64): string {
  return id.length <= max ? id : `…${id.slice(-(max - 1))}`;
}

/** From the run's creation to its verdict, as a person reads it: `4 min 12 s`. */
export function timeToVerdict(run: Pick<RunJson, 'createdAt' | 'finishedAt'>): string {
  const seconds = Math.max(0, Math.round((Date.parse(run.finishedAt ?? run.createdAt) - Date.parse(run.createdAt)) / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function renderRun(run: RunJson, dashboardUrl?: string): string {
  const table = new Table({
    head: ['consumer', 'backend', 'verdict', 'runs', 'candidate p/f/s', 'baseline p/f/s', 'new failures'],
    style: { head: [], border: [] },
  });
  const order = ['regression', 'error', 'no-evidence', 'flaky', 'failing', 'fixed', 'running', 'pending', 'pass'];
  const rank = (c: CellJson) => order.indexOf(c.reason ? 'no-evidence' : c.verdict);
  const cells = [...run.cells].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
  for (const cell of cells) {
    table.push([
      cell.consumer,
      cell.backend,
      cell.reason ? `${ICON[cell.verdict]}\n(${cell.reason})` : ICON[cell.verdict],
      String(cell.attempts),
      side(cell.candidate),
      side(cell.baseline),
      [
        newFailuresShort(cell),
        cell.quarantined?.length ? `quarantined: ${cell.quarantined.map((q) => `${shortId(q.test)} (${q.reason})`).join(', ')}` : '',
        cell.bisect ? bisectShort(cell.id, cell.bisect) : '',
      ]
        .filter(Boolean)
        .join('\n'),
    ]);
  }
  // One bisect per consumer, shown on each of its regressed cells: described once below the table.
  const bisected = new Map<string, CellJson>();
  for (const cell of cells) if (cell.bisect && !bisected.has(cell.consumer)) bisected.set(cell.consumer, cell);
  const regressions = run.cells.filter((c) => c.verdict === 'regression').length;
  const lines = [
    `run ${run.id}: ${run.library} ${run.candidate} (candidate) against ${run.baseline} (baseline${run.baselineRegistry ? `: ${run.baselineRegistry.registry}'s published file, ${run.baselineRegistry.integrity.slice(0, 19)}…` : ''})`,
    ...renderClusters(run.clusters, run.clustersTotal),
    table.toString(),
    `verdict: ${run.verdict.toUpperCase()}${verdictNote(run, regressions)}  status: ${run.status}`,
  ];
  for (const cell of bisected.values()) lines.push(renderBisect(cell.bisect!.cellId, cell.bisect!));
  if (run.finishedAt) lines.push(`time to verdict: ${timeToVerdict(run)} (from the run's creation to its last cell's verdict)`);
  if (run.timing) lines.push(`critical path: ${describeCriticalPath(run.timing)}`);
  if (dashboardUrl) lines.push(`dashboard: ${dashboardUrl}/runs/${run.id}`);
  return lines.join('\n');
}

/** What the verdict word alone would leave unsaid: why it blocks, that an all-failing pass is no green. */
function verdictNote(run: RunJson, regressions: number): string {
  if (run.verdict === 'blocked') return ` (${regressions} regression${regressions === 1 ? '' : 's'}: release blocked)`;
  if (run.verdict === 'cancelled') return ' (cancelled before its verdict: the gate treats it as no run)';
  const failing = allFailingNote(run);
  return failing ? ` (${failing})` : '';
}

function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** The bisect in a table cell: the commit (each with its tests' count when there are several), or the state; where it ran when elsewhere. */
function bisectShort(cellId: string, b: BisectJson): string {
  const culprits = culpritsOf(b);
  const answer =
    b.status === 'found' && b.firstBad
      ? `first bad: ${isGrouped(b) ? culprits.map((c) => `${shortSha(c.firstBad.sha)} (${c.testsTotal ?? c.tests.length})`).join(', ') : shortSha(b.firstBad.sha)}`
      : b.status === 'running'
        ? `bisecting (${b.steps.length} steps)`
        : 'bisect inconclusive';
  const elsewhere = bisectedOnNote(cellId, b);
  return elsewhere ? `${answer}\n(${elsewhere})` : answer;
}

/** A bisect in full: the answer (or why there is none) and its steps. */
export function renderBisect(cellId: string, b: BisectJson): string {
  const commit = (c: BisectCommit) => `${shortSha(c.sha)} ${c.subject} (${c.author}, ${c.date.slice(0, 10)})${c.url ? ` ${c.url}` : ''}`;
  // Several causes: one line per first bad commit with its tests; one reads as it always did.
  const groups = culpritsOf(b).map((c) => `\n  ${culpritLine(c)} (${c.firstBad.author}, ${c.firstBad.date.slice(0, 10)})${c.firstBad.url ? ` ${c.firstBad.url}` : ''}${c.tests.length ? `: ${c.tests.slice(0, 3).join(', ')}${(c.testsTotal ?? c.tests.length) > 3 ? ', ...' : ''}` : ''}`);
  const head =
    b.status === 'found' && b.firstBad
      ? (isGrouped(b) ? `first bad commits:${groups.join('')}` : `first bad commit: ${commit(b.firstBad)}`) + (b.reason ? `\n  ${b.reason}` : '')
      : b.status === 'running'
        ? `bisecting${b.current ? `, testing ${shortSha(b.current)}` : ''}`
        : `inconclusive: ${b.reason ?? 'no answer'}`;
  const steps = b.steps.map((s) => `${shortSha(s.sha)} ${s.outcome}`).join(', ');
  // The consumer's one bisect may have run on another of its cells: say which, and what it explains here.
  const on = bisectedOnNote(cellId, b);
  return `bisect ${cellId}: ${head}${on ? `\n  ${on}` : ''}\n  ${b.steps.length} step${b.steps.length === 1 ? '' : 's'} over ${b.commits} commit${b.commits === 1 ? '' : 's'}${steps ? `: ${steps}` : ''}`;
}

/**
 * Each finished bisect's wall time as a multiple of one candidate side of the cell it ran on (the cost
 * of one step's unit of work, measured in the same run).
 */
export function bisectCosts(run: RunJson): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const cell of run.cells) {
    const b = cell.bisect;
    if (!b || seen.has(cell.consumer) || !b.finishedAt) continue;
    seen.add(cell.consumer);
    const side = run.cells.find((c) => c.id === b.cellId)?.candidate.durationMs;
    const wall = Date.parse(b.finishedAt) - Date.parse(b.startedAt);
    if (!side || !Number.isFinite(wall)) continue;
    lines.push(
      `bisect of ${b.cellId}: ${b.steps.length} steps over ${b.commits} commits in ${seconds(wall)}, ${(wall / side).toFixed(1)}x one candidate side of that cell (${seconds(side)})`,
    );
  }
  return lines;
}

export function progressLine(run: RunJson, startedAt: number): string {
  const counts = new Map<string, number>();
  for (const c of run.cells) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  const done = run.cells.filter((c) => isFinished(c.verdict)).length;
  const parts = [...counts.entries()].map(([v, n]) => `${n} ${v}`).join(', ');
  const bisects = new Map(run.cells.filter((c) => c.bisect).map((c) => [c.consumer, c.bisect!]));
  const bisecting = [...bisects.entries()].map(([consumer, b]) => `${consumer} ${b.status}${b.status === 'running' ? ` (${b.steps.length} steps)` : ''}`);
  return `[${Math.round((Date.now() - startedAt) / 1000)}s] ${done}/${run.cells.length} cells decided: ${parts}${bisecting.length ? `; bisect: ${bisecting.join(', ')}` : ''}`;
}

/** The first three new failures and how many more (the run's JSON lists only the first few; `newFailuresTotal` counts them all). */
function newFailuresShort(cell: CellJson): string {
  const total = cell.newFailuresTotal ?? cell.newFailures.length;
  const tests = total ? cell.newFailures.slice(0, 3).map((id) => shortId(id)).join('\n') + (total > 3 ? `\n(+${total - 3} more)` : '') : '';
  return [tests, schemaShort(cell)].filter(Boolean).join('\n');
}

/** A cell's schema changes (`schema:`), the first two by object, under its new failures. */
function schemaShort(cell: CellJson): string {
  const changes = cell.schemaChanges ?? [];
  if (!changes.length) return '';
  const shown = changes.slice(0, 2).map((c) => `schema ${c.change}: ${shortId(c.object)}`);
  return [...shown, ...(changes.length > 2 ? [`(+${changes.length - 2} more schema changes)`] : [])].join('\n');
}
