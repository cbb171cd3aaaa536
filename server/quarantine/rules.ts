/**
 * Quarantine (issue 21 item 3): a maintainer says a consumer's test is known-broken until a date. A
 * quarantined test still runs and is shown with its reason; while its quarantine lasts, its new failure
 * never makes the cell a regression; from its expiry on, cells decided after it block as before. The
 * rule is a wrapper over the verdict (common/verdict.ts decideCell is unchanged): the quarantined tests'
 * failures are taken out of the attempts before the cell is decided, and named beside the verdict.
 */
import type { QuarantinedTest } from '../../common/types.js';
import type { AttemptPair, SideAttempt } from '../../common/verdict.js';

import type { QuarantineEntry } from '../../common/quarantine/entry.js';

export { isActive, untilInstant, type QuarantineEntry } from '../../common/quarantine/entry.js';

/** A candidate side without its quarantined tests' failures: passed when nothing else failed. */
function withoutQuarantined(side: SideAttempt, tests: ReadonlyMap<string, unknown>): SideAttempt {
  const failedQuarantined = side.tests.filter((t) => t.status === 'failed' && tests.has(t.id));
  if (!failedQuarantined.length) return side;
  const kept = side.tests.filter((t) => !(t.status === 'failed' && tests.has(t.id)));
  // Only a side that failed through its tests: a timeout or an exit without failed tests stays as it was.
  const status = side.status === 'failed' && !kept.some((t) => t.status === 'failed') ? 'passed' : side.status;
  return { ...side, status, tests: kept };
}

/**
 * The attempts as the verdict sees them, and the quarantined tests that failed anew on the first one
 * (failed on the candidate, not on the baseline) with their quarantine: what the cell shows.
 */
export function applyQuarantine(pairs: AttemptPair[], active: QuarantineEntry[]): { pairs: AttemptPair[]; quarantined: QuarantinedTest[] } {
  if (!active.length || !pairs.length) return { pairs, quarantined: [] };
  const byTest = new Map(active.map((q) => [q.test, q]));
  const first = pairs[0];
  const baselineFailed = new Set(first.baseline.tests.filter((t) => t.status === 'failed').map((t) => t.id));
  const quarantined = first.candidate.tests
    .filter((t) => t.status === 'failed' && byTest.has(t.id) && !baselineFailed.has(t.id))
    .map((t) => {
      const q = byTest.get(t.id)!;
      return { test: t.id, reason: q.reason, until: q.until, by: q.by };
    })
    .sort((a, b) => (a.test < b.test ? -1 : a.test > b.test ? 1 : 0));
  return { pairs: pairs.map((pair) => ({ candidate: withoutQuarantined(pair.candidate, byTest), baseline: pair.baseline })), quarantined };
}
