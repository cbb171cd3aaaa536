/**
 * What one bisect step says about its commit, from the regressed cell's candidate side run against that
 * commit's artifact (issue 11): bad when any of the cell's confirmed newFailures fails again, good when
 * they all pass. A regression without per-test ids (a timeout, a suite that crashed) goes by the side's
 * status. A side that ran none of those tests cannot tell, like a commit that does not build: skipped.
 */
import type { SideResultPayload } from '../../common/queue/jobs.js';
import type { StepOutcome } from './search.js';

export function stepOutcome(result: Pick<SideResultPayload, 'status' | 'tests'>, newFailures: string[]): StepOutcome {
  if (result.status === 'error') return 'error';
  if (newFailures.length === 0) {
    if (result.status === 'passed') return 'good';
    return result.status === 'failed' || result.status === 'timeout' ? 'bad' : 'error';
  }
  const byId = new Map(result.tests.map((t) => [t.id, t.status]));
  if (newFailures.some((id) => byId.get(id) === 'failed')) return 'bad';
  if (newFailures.every((id) => byId.get(id) === 'passed')) return 'good';
  return 'skip';
}
