/**
 * What a side's per-test results can and cannot show (issue 22). Some test ids exist only when they
 * fail: a mocha hook failure is reported under the hook's title (`"before each" hook for "x"`) and the
 * tests under it vanish; a pytest module that cannot import gives one collection error (its own id) and
 * stops the session; jest's `Test suite failed to run`, JUnit 4's `initializationError` likewise. When
 * the failure goes away, that id is simply absent: it is never seen passing. Everything that compares
 * failures across runs (verdicts, confirming re-runs, targeted re-runs, bisect steps) asks this module
 * which ids are such, what they hid, and whether a side ran at all.
 */
import type { TestOutcome } from './types.js';

export type Outcome = Pick<TestOutcome, 'id' | 'status'> & { message?: string };

/** A mocha hook's title: `"before each" hook`, optionally `: name`, then ` for "test"` or ` in "suite"`. */
const MOCHA_HOOK = /"(?:before|after) (?:each|all)" hook(?::[^"]*?)?(?: (?:for|in) ".*")?$/;
const MOCHA_HOOK_TARGET = / (?:for|in) ".*"$/;
/** jest-junit's suite error, JUnit 4's class-level failures (`@BeforeClass`, a bad runner). */
const SUITE_ERROR = /(?:^|::)(?:Test suite failed to run|initializationError|classMethod)$/;
/** pytest's message on a module (or package) it could not collect. */
const COLLECTION_FAILURE = /^collection failure\b/;

/**
 * The id a failure is recognised by across runs: a mocha hook's title names the first test it ran
 * before, which differs between a full run and one that selects some tests; the hook is the same.
 */
export function failureKey(id: string): string {
  return MOCHA_HOOK.test(id) ? id.replace(MOCHA_HOOK_TARGET, '') : id;
}

/** Whether a result's shape says it exists only because something failed (a hook, a collection, a suite). */
export function isFailureOnlyShape(test: Pick<Outcome, 'id' | 'message'>): boolean {
  return MOCHA_HOOK.test(test.id) || SUITE_ERROR.test(test.id) || (test.message !== undefined && COLLECTION_FAILURE.test(test.message));
}

/** A side really ran its suite: it reported a test that passed or failed (skips alone say nothing). */
export function sideRan(tests: Outcome[]): boolean {
  return tests.some((t) => t.status === 'passed' || t.status === 'failed');
}

/** The ids of `tests` that failed, by failure key. */
export function failedKeys(tests: Outcome[]): Set<string> {
  return new Set(tests.filter((t) => t.status === 'failed').map((t) => failureKey(t.id)));
}

/** `first`'s ids whose failure `again` shows too (by key: a renamed hook failure is the same failure). */
export function sameFailures(first: string[], again: string[]): string[] {
  const keys = new Set(again.map(failureKey));
  return first.filter((id) => keys.has(failureKey(id)));
}

/**
 * What a regression's new failures were, read from the attempt that found them: which exist only on
 * failure (by their shape, or because the baseline, which ran, never reported them), and which tests
 * they hid (the baseline ran them, the failing side reported nothing for them).
 */
export interface FailureEvidence {
  newFailures: string[];
  /** The new failures that exist only when they fail: absent, not passing, when they do not. */
  failureOnly: string[];
  /** Tests the baseline passed that the failing side did not report at all: what those failures hid. */
  hidden: string[];
  /** Every id the baseline reported: what "the rest of the suite ran as on the baseline" compares to. */
  baselineIds: string[];
}

export function failureEvidence(newFailures: string[], failing: Outcome[], baseline: Outcome[]): FailureEvidence {
  const byId = new Map(failing.map((t) => [t.id, t]));
  const baselineIds = new Set(baseline.map((t) => t.id));
  const baselineRan = sideRan(baseline);
  const failureOnly = newFailures.filter((id) => isFailureOnlyShape(byId.get(id) ?? { id }) || (baselineRan && !baselineIds.has(id)));
  const hidden = failureOnly.length ? baseline.filter((t) => t.status === 'passed' && !byId.has(t.id)).map((t) => t.id) : [];
  return { newFailures, failureOnly, hidden, baselineIds: [...baselineIds] };
}

/** Past these, a targeted re-run's list would not fit the environment: the whole suite runs instead. */
export const SELECTION_MAX_IDS = 500;
export const SELECTION_MAX_BYTES = 64 * 1024;

/**
 * What a targeted re-run (confirming, or a bisect step) should select to see these failures again: a
 * failure-only id cannot be selected (no test has it), so the tests it hid stand in for it. Null when
 * there is nothing to select, or too much: the whole suite then.
 */
export function rerunSelection(evidence: FailureEvidence): { tests: string[]; standsFor: string[] } | null {
  const only = new Set(evidence.failureOnly);
  const tests = [...new Set([...evidence.newFailures.filter((id) => !only.has(id)), ...evidence.hidden])].sort();
  // A failure-only id that hid nothing (an `after all` hook): no selection reaches it.
  if (only.size > 0 && evidence.hidden.length === 0) return null;
  const bytes = tests.reduce((n, id) => n + Buffer.byteLength(id) + 1, 0);
  if (tests.length === 0 || tests.length > SELECTION_MAX_IDS || bytes > SELECTION_MAX_BYTES) return null;
  return { tests, standsFor: [...only] };
}

/**
 * Whether a targeted re-run ran what it was asked: it reported one of the wanted tests, or a failure
 * in what selecting them runs first (their hook, their module's collection), which reports under an
 * id of its own and hides them.
 */
export function ranSelection(reported: Outcome[], wanted: string[], standsFor: string[] = []): boolean {
  const wantedIds = new Set(wanted);
  const keys = new Set(standsFor.map(failureKey));
  return reported.some((t) => wantedIds.has(t.id) || (t.status === 'failed' && (keys.has(failureKey(t.id)) || isFailureOnlyShape(t))));
}

/**
 * A failure of `failing` that `other` shows gone: it passes there, or it is failure-only, absent there,
 * and the tests it hid (reported by `other`, not by `failing`) all ran there and none failed.
 */
export function resolvedFailures(failing: Outcome[], other: Outcome[]): string[] {
  const otherById = new Map(other.map((t) => [t.id, t]));
  const otherFailed = failedKeys(other);
  const failingIds = new Set(failing.map((t) => t.id));
  const hidden = other.filter((t) => !failingIds.has(t.id));
  const hiddenRanClean = hidden.some((t) => t.status === 'passed') && !hidden.some((t) => t.status === 'failed');
  return failing
    .filter((t) => t.status === 'failed')
    .filter((t) => {
      if (otherById.get(t.id)?.status === 'passed') return true;
      if (otherById.has(t.id) || otherFailed.has(failureKey(t.id))) return false;
      return isFailureOnlyShape(t) && hiddenRanClean;
    })
    .map((t) => t.id)
    .sort();
}
