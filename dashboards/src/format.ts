/**
 * How verdicts, durations and times read on the page. Every verdict has a word and an icon shape of
 * its own (the shapes live in styles.css), so nothing depends on colour alone.
 */
import type { CellVerdict, RunVerdict, SideStatus } from '../../common/types.js';

export type AnyVerdict = CellVerdict | RunVerdict;

interface VerdictInfo {
  /** The visible word. */
  label: string;
  /** What it means, for the title tooltip and screen readers' description. */
  help: string;
}

export const VERDICTS: Record<AnyVerdict, VerdictInfo> = {
  pass: { label: 'pass', help: 'both sides pass' },
  regression: { label: 'regression', help: 'the candidate fails tests the baseline passes, confirmed by re-runs' },
  flaky: { label: 'flaky', help: 'a failure that did not repeat on re-run; does not block' },
  fixed: { label: 'fixed', help: 'the baseline fails, the candidate passes' },
  failing: { label: 'failing', help: 'both sides fail the same tests: a pre-existing failure; does not block' },
  error: { label: 'error', help: 'infrastructure could not run the cell; not a test failure' },
  pending: { label: 'pending', help: 'not started yet' },
  running: { label: 'running', help: 'in progress' },
  blocked: { label: 'blocked', help: 'at least one regression: the release is blocked' },
  incomplete: { label: 'incomplete', help: 'some cells could not run (infrastructure errors)' },
  cancelled: { label: 'cancelled', help: 'stopped before its verdict; the gate treats it as no run' },
};

/** Order of attention: what a release manager must look at first. */
export const VERDICT_RANK: Record<CellVerdict, number> = {
  regression: 0,
  error: 1,
  flaky: 2,
  failing: 3,
  fixed: 4,
  running: 5,
  pending: 6,
  pass: 7,
};

export const SIDE_STATUS_LABEL: Record<SideStatus, string> = {
  pending: 'pending',
  running: 'running',
  passed: 'passed',
  failed: 'failed',
  timeout: 'timed out',
  error: 'error',
};

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 9.95) return `${s.toFixed(1)} s`;
  // Rounded once, so 119.6 s reads "2 min 0 s", never "1 min 60 s".
  const total = Math.round(s);
  if (total < 60) return `${total} s`;
  const m = Math.floor(total / 60);
  if (m < 60) return `${m} min ${total % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The same, compact, for the matrix's thousands of cells: "48s", "1m55s", "2h05m". */
export function formatShortDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 9950) return `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total}s`;
  const m = Math.floor(total / 60);
  if (m < 60) return `${m}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Wall time of a run: to its end, or to now while it runs. */
export function runDuration(run: { createdAt: string; finishedAt: string | null }, now = Date.now()): number {
  const start = Date.parse(run.createdAt);
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return Math.max(0, end - start);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

export function relativeTime(iso: string, now = Date.now()): string {
  const diff = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(diff)) return '';
  if (diff < 45) return 'just now';
  if (diff < 3600) return `${Math.round(diff / 60)} min ago`;
  if (diff < 86400) return `${Math.round(diff / 3600)} h ago`;
  return `${Math.round(diff / 86400)} d ago`;
}

export function shortSha(sha: string): string {
  return /^[0-9a-f]{40}$/i.test(sha) ? sha.slice(0, 10) : sha;
}
