import { describe, expect, it } from 'vitest';
import { stepOutcome } from './outcome.js';

const t = (id: string, status: 'passed' | 'failed' | 'skipped') => ({ id, status });

describe('stepOutcome', () => {
  const newFailures = ['s::a', 's::b'];
  it('is bad when any confirmed new failure fails again, whatever else passes', () => {
    expect(stepOutcome({ status: 'failed', tests: [t('s::a', 'passed'), t('s::b', 'failed')] }, newFailures)).toBe('bad');
  });
  it('is good when they all pass, even if an unrelated test fails', () => {
    expect(stepOutcome({ status: 'failed', tests: [t('s::a', 'passed'), t('s::b', 'passed'), t('s::z', 'failed')] }, newFailures)).toBe('good');
  });
  it('cannot tell (skip) when the side did not run them', () => {
    expect(stepOutcome({ status: 'failed', tests: [] }, newFailures)).toBe('skip');
    expect(stepOutcome({ status: 'passed', tests: [t('s::a', 'passed'), t('s::b', 'skipped')] }, newFailures)).toBe('skip');
  });
  it('goes by the side status for a regression without per-test ids', () => {
    expect(stepOutcome({ status: 'timeout', tests: [] }, [])).toBe('bad');
    expect(stepOutcome({ status: 'failed', tests: [] }, [])).toBe('bad');
    expect(stepOutcome({ status: 'passed', tests: [] }, [])).toBe('good');
  });
  it('an infrastructure error is an error, never a test result', () => {
    expect(stepOutcome({ status: 'error', tests: [t('s::a', 'failed')] }, newFailures)).toBe('error');
  });
});
