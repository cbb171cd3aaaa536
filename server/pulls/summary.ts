/**
 * A pull-request run as GitHub's check run and the PR's comment show it (issue 18 items 4, 5): the
 * verdict table in Markdown (consumer x backend, new failures, first bad commit, links to the cell
 * pages), the new failures per cell with their first error line, and the conclusion. Pure functions of
 * the run, so the check and the comment say the same.
 */
import type { CellJson, RunJson } from '../../common/types.js';
import { CHECK_OUTPUT_MAX } from '../forges/github.js';
import type { CheckConclusion } from '../forges/index.js';
import type { PullRunMeta } from '../store/schema.js';

/** What the comment is found by when edited in place: one per library on a PR. */
export function commentMarker(library: string): string {
  return `<!-- compat-matrix:pull-request:${library} -->`;
}

const MARK: Record<string, string> = {
  pass: '✅ pass',
  regression: '❌ regression',
  flaky: '⚠️ flaky',
  fixed: '✅ fixed',
  failing: '➖ failing (both)',
  error: '⚠️ error',
  pending: '⏳ pending',
  running: '🔄 running',
  cancelled: '⏹️ cancelled',
};

/** Never `neutral` or `skipped`: both satisfy a required check, and an incomplete run must not. */
export function conclusionOf(run: Pick<RunJson, 'verdict'>): CheckConclusion {
  if (run.verdict === 'pass') return 'success';
  if (run.verdict === 'blocked') return 'failure';
  return 'action_required';
}

export function titleOf(run: RunJson): string {
  if (run.status !== 'done') {
    const done = run.cells.filter((c) => c.verdict !== 'pending' && c.verdict !== 'running').length;
    return `${done} of ${run.cells.length} cells decided`;
  }
  if (run.verdict === 'cancelled') return 'Cancelled: a newer push replaced this head';
  const regressions = run.cells.filter((c) => c.verdict === 'regression').length;
  if (run.verdict === 'blocked') return `${regressions} regression${regressions === 1 ? '' : 's'} in ${run.cells.length} cells`;
  if (run.verdict === 'incomplete') return `Incomplete: ${run.cells.filter((c) => c.verdict === 'error').length} cells could not run`;
  return `No regression in ${run.cells.length} cells`;
}

function cellUrl(publicUrl: string, run: RunJson, cell: CellJson): string {
  return `${publicUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(run.id)}/cells/${encodeURIComponent(cell.id)}`;
}

function cellMark(publicUrl: string, run: RunJson, cell: CellJson): string {
  const failures = cell.newFailuresTotal ?? cell.newFailures.length;
  const count = failures ? ` (${failures} new)` : '';
  return `[${MARK[cell.verdict] ?? cell.verdict}${count}](${cellUrl(publicUrl, run, cell)})`;
}

/** The verdict table and what a reader needs around it; cut so it stays under GitHub's limit. */
export function summaryOf(run: RunJson, pull: PullRunMeta | undefined, publicUrl: string, max = CHECK_OUTPUT_MAX - 1000): string {
  const runUrl = `${publicUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(run.id)}`;
  const against = pull?.baseline === 'merge-base' ? `the merge base with \`${pull.baseRef}\` (${(run.baselineSha ?? '').slice(0, 7)})` : `\`${run.baseline}\``;
  const head = [
    `**${titleOf(run)}**: \`${run.candidateSha.slice(0, 7)}\` against ${against}. [Run ${run.id}](${runUrl})`,
    '',
  ];
  if (pull?.withheld.length) {
    head.push(`Secrets withheld (pull request from a fork, not approved): ${pull.withheld.map((w) => `\`${w}\``).join(', ')}.`, '');
  }
  const backends = [...new Set(run.cells.map((c) => c.id.slice(c.consumer.length + 1)))];
  const consumers = [...new Set(run.cells.map((c) => c.consumer))];
  const byId = new Map(run.cells.map((c) => [c.id, c]));
  const rows = [`| consumer | ${backends.join(' | ')} |`, `|---|${backends.map(() => '---').join('|')}|`];
  for (const consumer of consumers) {
    const marks = backends.map((b) => {
      const cell = byId.get(`${consumer}.${b}`);
      return cell ? cellMark(publicUrl, run, cell) : '';
    });
    rows.push(`| ${consumer} | ${marks.join(' | ')} |`);
  }
  const culprits = firstBadLines(run);
  const tail = culprits.length ? ['', '**First bad commit**', ...culprits] : [];
  const fixed = (lines: string[]) => lines.reduce((n, l) => n + l.length + 1, 0);
  const budget = max - fixed(head) - fixed(tail) - 200;
  let used = 0;
  const kept: string[] = [];
  for (const row of rows) {
    if (used + row.length + 1 > budget) {
      kept.push('', `… ${rows.length - kept.length} more rows on [the run's page](${runUrl})`);
      break;
    }
    kept.push(row);
    used += row.length + 1;
  }
  return [...head, ...kept, ...tail].join('\n');
}

function firstBadLines(run: RunJson): string[] {
  const seen = new Map<string, string>();
  for (const cell of run.cells) {
    const commit = cell.bisect?.status === 'found' ? cell.bisect.firstBad : undefined;
    if (!commit) continue;
    const line = seen.get(commit.sha) ?? `- \`${commit.sha.slice(0, 7)}\` ${commit.subject} (${commit.author}): ${cell.id}`;
    seen.set(commit.sha, seen.has(commit.sha) ? `${line}, ${cell.id}` : line);
  }
  return [...seen.values()];
}

/** The new failures per regressed cell, each with the first line of its error; cut to the limit. */
export function failuresText(run: RunJson, messageOf: (cellId: string, testId: string) => string | undefined, max = CHECK_OUTPUT_MAX - 1000): string {
  const out: string[] = [];
  let used = 0;
  for (const cell of run.cells.filter((c) => c.verdict === 'regression')) {
    const lines = [`### ${cell.id}`, ''];
    for (const test of cell.newFailures) {
      const first = (messageOf(cell.id, test) ?? '').split('\n').find((l) => l.trim())?.trim().slice(0, 300);
      lines.push(`- \`${test}\`${first ? `: ${first}` : ''}`);
    }
    const total = cell.newFailuresTotal ?? cell.newFailures.length;
    if (total > cell.newFailures.length) lines.push(`- … and ${total - cell.newFailures.length} more`);
    lines.push('');
    const block = lines.join('\n');
    if (used + block.length > max) {
      out.push('… more on the run\'s page');
      break;
    }
    out.push(block);
    used += block.length;
  }
  return out.join('\n');
}
