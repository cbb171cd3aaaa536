import { describe, expect, it } from 'vitest';
import { decideCell, type AttemptPair } from '../../common/verdict.js';
import { applyQuarantine, isActive, untilInstant, type QuarantineEntry } from './rules.js';

const side = (passed: string[], failed: string[] = [], status?: 'failed' | 'timeout') => ({
  status: status ?? (failed.length ? ('failed' as const) : ('passed' as const)),
  tests: [...passed.map((id) => ({ id, status: 'passed' as const })), ...failed.map((id) => ({ id, status: 'failed' as const, message: 'boom' }))],
});
const entry = (test: string, until = '2099-01-01T00:00:00.000Z'): QuarantineEntry => ({ library: 'lib', consumer: 'app', test, reason: 'upstream bug #12', until, by: 'ci', source: 'api', createdAt: '' });

describe('untilInstant', () => {
  it('takes a date as through that day (UTC), an ISO instant as itself, and refuses the rest', () => {
    expect(untilInstant('2026-12-31')).toBe('2027-01-01T00:00:00.000Z');
    expect(untilInstant('2026-12-31T12:00:00+01:00')).toBe('2026-12-31T11:00:00.000Z');
    expect(untilInstant('2026-02-30')).toBeNull();
    expect(untilInstant('next week')).toBeNull();
    expect(untilInstant('1700000000')).toBeNull();
  });
  it('is in force before its instant and not from it on', () => {
    const q = { until: '2026-06-01T00:00:00.000Z' };
    expect(isActive(q, new Date('2026-05-31T23:59:59Z'))).toBe(true);
    expect(isActive(q, new Date('2026-06-01T00:00:00Z'))).toBe(false);
  });
});

describe('applyQuarantine', () => {
  const regressing: AttemptPair[] = [
    { candidate: side(['a'], ['flappy']), baseline: side(['a', 'flappy']) },
    { candidate: side(['a'], ['flappy']), baseline: side(['a', 'flappy']) },
    { candidate: side(['a'], ['flappy']), baseline: side(['a', 'flappy']) },
  ];

  it('keeps a quarantined new failure out of the verdict and names it with its reason', () => {
    expect(decideCell(regressing, 2).verdict).toBe('regression');
    const { pairs, quarantined } = applyQuarantine(regressing, [entry('flappy')]);
    expect(decideCell(pairs, 2)).toMatchObject({ verdict: 'pass', newFailures: [] });
    expect(quarantined).toEqual([{ test: 'flappy', reason: 'upstream bug #12', until: '2099-01-01T00:00:00.000Z', by: 'ci' }]);
  });

  it('still finds a regression in a test that is not quarantined, beside one that is', () => {
    const both: AttemptPair[] = [0, 1, 2].map(() => ({ candidate: side([], ['a', 'flappy']), baseline: side(['a', 'flappy']) }));
    const { pairs, quarantined } = applyQuarantine(both, [entry('flappy')]);
    expect(decideCell(pairs, 2)).toMatchObject({ verdict: 'regression', newFailures: ['a'] });
    expect(quarantined.map((q) => q.test)).toEqual(['flappy']);
  });

  it('leaves a timeout a timeout, and names no quarantined test that failed on the baseline too', () => {
    const timeout: AttemptPair[] = [{ candidate: side([], ['flappy'], 'timeout'), baseline: side(['flappy']) }];
    expect(applyQuarantine(timeout, [entry('flappy')]).pairs[0].candidate.status).toBe('timeout');
    const before: AttemptPair[] = [{ candidate: side(['a'], ['flappy']), baseline: side(['a'], ['flappy']) }];
    expect(applyQuarantine(before, [entry('flappy')]).quarantined).toEqual([]);
  });

  it('changes nothing without a quarantine in force', () => {
    expect(applyQuarantine(regressing, [])).toEqual({ pairs: regressing, quarantined: [] });
  });
});
