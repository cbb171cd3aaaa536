import { describe, expect, it } from 'vitest';
import type { SideStatus, TestOutcome } from './types.js';
import { decideCell, decideRun, NO_EVIDENCE, type AttemptPair, type CellOutcome } from './verdict.js';

const t = (id: string, status: TestOutcome['status']): TestOutcome => ({ id, status });
const side = (status: SideStatus, tests: TestOutcome[] = []) => ({ status, tests });
const pair = (c: ReturnType<typeof side>, b: ReturnType<typeof side>): AttemptPair => ({ candidate: c, baseline: b });

const cells = (...verdicts: CellOutcome['verdict'][]): CellOutcome[] => verdicts.map((verdict) => ({ verdict }));

const green = side('passed', [t('a', 'passed'), t('b', 'passed')]);
const redB = side('failed', [t('a', 'passed'), t('b', 'failed')]);

describe('cell verdicts', () => {
  it('pass: both sides pass', () => {
    expect(decideCell([pair(green, green)], 2).verdict).toBe('pass');
  });

  it('asks for confirming re-runs before calling a regression', () => {
    const d = decideCell([pair(redB, green)], 2);
    expect(d.verdict).toBe('running');
    expect(d.rerunsWanted).toBe(2);
  });

  it('regression: the candidate fails on every re-run, with the tests that failed anew', () => {
    const d = decideCell([pair(redB, green), pair(redB, green), pair(redB, green)], 2);
    expect(d).toMatchObject({ verdict: 'regression', newFailures: ['b'], rerunsWanted: 0 });
  });

  it('regression on a timeout, which has no JUnit', () => {
    const d = decideCell([pair(side('timeout'), green), pair(side('timeout'), green)], 1);
    expect(d.verdict).toBe('regression');
    expect(d.newFailures).toEqual([]);
  });

  it('flaky: a re-run does not repeat the failure', () => {
    const d = decideCell([pair(redB, green), pair(green, green), pair(redB, green)], 2);
    expect(d.verdict).toBe('flaky');
    expect(d.newFailures).toEqual(['b']);
  });

  it('regression when both fail but the candidate fails tests the baseline passed', () => {
    const base = side('failed', [t('a', 'failed'), t('b', 'passed'), t('c', 'passed')]);
    const cand = side('failed', [t('a', 'failed'), t('b', 'failed'), t('c', 'passed')]);
    const d = decideCell([pair(cand, base), pair(cand, base)], 1);
    expect(d).toMatchObject({ verdict: 'regression', newFailures: ['b'] });
  });

  it('newFailures keeps only the tests that failed anew on every attempt', () => {
    const base = side('passed', [t('a', 'passed'), t('b', 'passed'), t('c', 'passed')]);
    const c1 = side('failed', [t('a', 'failed'), t('b', 'failed'), t('c', 'passed')]);
    const c2 = side('failed', [t('a', 'failed'), t('b', 'passed'), t('c', 'passed')]);
    expect(decideCell([pair(c1, base), pair(c2, base)], 1).newFailures).toEqual(['a']);
  });

  it('failing: both fail the same tests', () => {
    expect(decideCell([pair(redB, redB)], 2).verdict).toBe('failing');
  });

  it('fixed: the baseline fails and the candidate passes', () => {
    const d = decideCell([pair(green, redB)], 2);
    expect(d).toMatchObject({ verdict: 'fixed', fixedTests: ['b'] });
  });

  it('error: infrastructure on either side is never a test failure', () => {
    expect(decideCell([pair(side('error'), green)], 2).verdict).toBe('error');
    expect(decideCell([pair(green, side('error'))], 2).verdict).toBe('error');
    expect(decideCell([pair(redB, green), pair(side('error'), green)], 1).verdict).toBe('error');
  });

  it('no evidence: a baseline that passed no test makes the cell failing with a reason, whatever the candidate failed', () => {
    const collectError = side('failed', [t('collect', 'failed')]);
    for (const baseline of [side('failed'), collectError, side('timeout')]) {
      for (const candidate of [side('failed'), collectError, redB, side('timeout')]) {
        expect(decideCell([pair(candidate, baseline)], 2)).toMatchObject({ verdict: 'failing', reason: NO_EVIDENCE, rerunsWanted: 0 });
      }
    }
    // A candidate that passes is evidence of its own.
    expect(decideCell([pair(green, side('failed'))], 2)).toMatchObject({ verdict: 'fixed' });
    // A baseline that passed one test is a baseline: both failing the same tests stays a plain failing.
    expect(decideCell([pair(redB, redB)], 2).reason).toBeUndefined();
  });

  it('with no re-runs configured, the first attempt decides', () => {
    expect(decideCell([pair(redB, green)], 0).verdict).toBe('regression');
  });
});

describe('run verdicts', () => {
  it('blocked beats incomplete beats pass', () => {
    expect(decideRun(cells('pass', 'flaky', 'fixed', 'failing'))).toBe('pass');
    expect(decideRun(cells('pass', 'error'))).toBe('incomplete');
    expect(decideRun(cells('error', 'regression'))).toBe('blocked');
  });

  it('a cell without evidence makes the run incomplete, never pass', () => {
    expect(decideRun([{ verdict: 'pass' }, { verdict: 'failing', reason: NO_EVIDENCE }])).toBe('incomplete');
    expect(decideRun([{ verdict: 'regression' }, { verdict: 'failing', reason: NO_EVIDENCE }])).toBe('blocked');
  });

  it('pending while cells run, unless a regression is already confirmed', () => {
    expect(decideRun(cells('pass', 'running'))).toBe('pending');
    expect(decideRun(cells('pending', 'regression'))).toBe('blocked');
  });
});

describe('failures that exist only when they fail (issue 22)', () => {
  const hookFor = (test: string) => t(`s::"before each" hook for "${test}"`, 'failed');
  const base = side('passed', [t('s::a', 'passed'), t('s::b', 'passed'), t('o::q', 'passed')]);
  it('a hook failure named after another test on a targeted re-run is the same confirmed failure', () => {
    const first = side('failed', [hookFor('a'), t('o::q', 'passed')]);
    const rerun = side('failed', [hookFor('b')]);
    expect(decideCell([pair(first, base), pair(rerun, side('passed', [t('s::a', 'passed'), t('s::b', 'passed')]))], 1)).toMatchObject({
      verdict: 'regression',
      newFailures: ['s::"before each" hook for "a"'],
    });
  });
  it('the same hook failing on both sides is no new failure; gone on the candidate with its tests passing, it is fixed', () => {
    expect(decideCell([pair(side('failed', [hookFor('a')]), side('failed', [hookFor('b'), t('o::q', 'passed')]))], 1).verdict).toBe('failing');
    expect(decideCell([pair(base, side('failed', [hookFor('a'), t('o::q', 'passed')]))], 1)).toMatchObject({ verdict: 'fixed', fixedTests: ['s::"before each" hook for "a"'] });
  });
});
