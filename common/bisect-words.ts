/**
 * How a bisect's answer reads, the same in the table, the report, the commit status and the dashboard
 * (issue 23): the first bad commits grouped by the tests that first fail there, and which cell the
 * bisect ran on when it shows on another. Pure, type-only imports: the dashboard bundles it.
 */
import type { BisectCulprit, BisectJson } from './types.js';

const sha7 = (sha: string) => sha.slice(0, 7);
const tests = (n: number) => `${n} test${n === 1 ? '' : 's'}`;

/** The culprits as recorded, or the one first bad commit of a bisect from before them. */
export function culpritsOf(b: Pick<BisectJson, 'culprits' | 'firstBad'>): BisectCulprit[] {
  if (b.culprits?.length) return b.culprits;
  return b.firstBad ? [{ firstBad: b.firstBad, tests: [] }] : [];
}

/** More than one cause: each names its tests. */
export function isGrouped(b: Pick<BisectJson, 'culprits' | 'firstBad'>): boolean {
  return culpritsOf(b).length > 1;
}

/** `12 tests first fail at 1a2b3c4: Subject` (`1 test first fails at ...`). */
export function culpritLine(c: BisectCulprit): string {
  const n = c.testsTotal ?? c.tests.length;
  return `${tests(n)} first fail${n === 1 ? 's' : ''} at ${sha7(c.firstBad.sha)}: ${c.firstBad.subject}`;
}

/** Every culprit, grouped: `12 tests first fail at A: subject; 1 test first fails at B: subject`. */
export function culpritsLine(b: Pick<BisectJson, 'culprits' | 'firstBad'>): string {
  return culpritsOf(b).map(culpritLine).join('; ');
}

/**
 * Which cell the bisect ran on, said where it shows on another, and how much of this cell's new
 * failures it explains: `bisected on app.postgres; explains 12 of 13 of this cell's new failures`.
 * Null on the bisected cell itself.
 */
export function bisectedOnNote(cellId: string, b: Pick<BisectJson, 'cellId' | 'explains'>): string | null {
  if (b.cellId === cellId) return null;
  const backend = b.cellId.split('.').slice(1).join('.') || b.cellId;
  const e = b.explains;
  if (!e) return `bisected on ${backend}`;
  const what = e.tests === e.of ? (e.of === 1 ? "explains this cell's new failure" : `explains all ${e.of} of this cell's new failures`) : e.tests === 0 ? "explains none of this cell's new failures" : `explains ${e.tests} of ${e.of} of this cell's new failures`;
  return `bisected on ${backend}; ${what}`;
}
