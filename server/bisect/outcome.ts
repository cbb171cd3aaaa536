/**
 * What one bisect step says about its commit, from the regressed cell's candidate side run against that
 * commit's artifact (issues 11 and 22), decided from what the step can show. Bad when one of the cell's
 * confirmed new failures fails again (by failure key: a hook's failure naming another test is the same
 * failure), or a test such a failure had hidden fails. Good when none fails and the side really ran: some
 * of those tests passed, or the failures that exist only on failure are absent while the tests they hid
 * ran and passed (or, when they hid nothing, the suite ran as on the baseline). Skip only when the side
 * cannot tell: it ran nothing, or not the tests in question (it crashed some other way). A regression
 * without per-test ids (a timeout, a suite that crashed) goes by the side's status. The rule that decided
 * is named in the step's detail.
 */
import type { SideResultPayload } from '../../common/queue/jobs.js';
import { failedKeys, failureKey, sideRan, type FailureEvidence } from '../../common/test-evidence.js';
import type { StepOutcome, TestOutcomes } from './search.js';

export const STEP_RULES = {
  infrastructure: 'infrastructure error',
  status: 'no per-test ids: by the side status',
  failsAgain: 'a new failure fails again',
  hiddenFails: 'a test the failure hid fails',
  ranNothing: 'ran no test',
  newFailuresPass: 'new failures pass',
  failureOnlyAbsent: 'failure-only ids absent, the tests they hid pass',
  notRun: 'ran none of the tests that regressed',
} as const;

export interface StepDecision {
  outcome: StepOutcome;
  rule: (typeof STEP_RULES)[keyof typeof STEP_RULES];
  /** The rule and what it saw, for the step's detail. */
  detail: string;
}

const listed = (ids: string[]) => (ids.length > 3 ? `${ids.slice(0, 3).join(', ')} (+${ids.length - 3} more)` : ids.join(', '));

export function stepOutcome(result: Pick<SideResultPayload, 'status' | 'tests' | 'reason'>, evidence: FailureEvidence): StepDecision {
  const decide = (outcome: StepOutcome, rule: StepDecision['rule'], seen?: string): StepDecision => ({ outcome, rule, detail: seen ? `${rule}: ${seen}` : rule });
  if (result.status === 'error') return decide('error', STEP_RULES.infrastructure, result.reason);
  const { newFailures } = evidence;
  if (newFailures.length === 0) {
    if (result.status === 'passed') return decide('good', STEP_RULES.status, 'passed');
    return result.status === 'failed' || result.status === 'timeout'
      ? decide('bad', STEP_RULES.status, result.status)
      : decide('error', STEP_RULES.infrastructure, result.reason ?? result.status);
  }
  const failed = failedKeys(result.tests);
  const again = newFailures.filter((id) => failed.has(failureKey(id)));
  if (again.length) return decide('bad', STEP_RULES.failsAgain, listed(again));

  const byId = new Map(result.tests.map((t) => [t.id, t.status]));
  const only = new Set(evidence.failureOnly);
  const absentOnly = newFailures.filter((id) => only.has(id) && !byId.has(id));
  if (absentOnly.length) {
    const hiddenFailed = evidence.hidden.filter((id) => byId.get(id) === 'failed');
    if (hiddenFailed.length) return decide('bad', STEP_RULES.hiddenFails, listed(hiddenFailed));
  }
  if (!sideRan(result.tests)) return decide('skip', STEP_RULES.ranNothing, result.reason);

  const passed = newFailures.filter((id) => byId.get(id) === 'passed');
  if (passed.length) return decide('good', STEP_RULES.newFailuresPass, listed(passed));
  // Every new failure is one that exists only on failure, and none is there.
  if (absentOnly.length === newFailures.length) {
    const expected = evidence.hidden.length ? evidence.hidden : evidence.baselineIds;
    const missing = expected.filter((id) => !byId.has(id));
    if (expected.length && missing.length === 0) {
      return decide('good', STEP_RULES.failureOnlyAbsent, `${listed(absentOnly)} absent; ${expected.length} tests they hid ran`);
    }
    return decide('skip', STEP_RULES.notRun, result.reason ?? `${missing.length} of the ${expected.length} tests the failure hid did not run`);
  }
  return decide('skip', STEP_RULES.notRun, result.reason);
}

/**
 * What the step says of each new failure on its own, by the rules above applied to that test alone (the
 * per-test search, search.ts searchPerTest). Null when the step speaks only as a whole: an
 * infrastructure error, or a regression without per-test ids. Computed in one pass over the step's
 * tests: a cell may have thousands of new failures.
 */
export function testOutcomes(result: Pick<SideResultPayload, 'status' | 'tests'>, evidence: FailureEvidence): TestOutcomes {
  if (result.status === 'error' || evidence.newFailures.length === 0) return null;
  const failed = failedKeys(result.tests);
  const byId = new Map(result.tests.map((t) => [t.id, t.status]));
  const only = new Set(evidence.failureOnly);
  const hiddenFailed = evidence.hidden.some((id) => byId.get(id) === 'failed');
  const ran = sideRan(result.tests);
  const expected = evidence.hidden.length ? evidence.hidden : evidence.baselineIds;
  const hiddenRan = expected.length > 0 && expected.every((id) => byId.has(id));
  const out: Record<'good' | 'bad' | 'skip', string[]> = { good: [], bad: [], skip: [] };
  for (const id of evidence.newFailures) {
    let outcome: 'good' | 'bad' | 'skip';
    if (failed.has(failureKey(id))) outcome = 'bad';
    else if (only.has(id) && !byId.has(id)) outcome = hiddenFailed ? 'bad' : ran && hiddenRan ? 'good' : 'skip';
    else outcome = ran && byId.get(id) === 'passed' ? 'good' : 'skip';
    out[outcome].push(id);
  }
  return out;
}
