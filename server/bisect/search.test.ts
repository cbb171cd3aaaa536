import { describe, expect, it } from 'vitest';
import { defaultCap, search, searchPerTest, type GroupDecision, type Observation, type PerTestStep, type SearchDecision, type StepOutcome } from './search.js';

/** Runs the search to its end against an oracle; returns the decision and the steps it took. */
function bisect(count: number, oracle: (index: number, tries: number) => StepOutcome, cap = defaultCap(count)) {
  const observations: Observation[] = [];
  for (;;) {
    const decision: SearchDecision = search({ count, observations, cap });
    if (decision.kind !== 'test') return { decision, steps: observations };
    expect(decision.index).toBeGreaterThan(0);
    expect(decision.index).toBeLessThan(count);
    const tries = observations.filter((o) => o.index === decision.index).length;
    observations.push({ index: decision.index, outcome: oracle(decision.index, tries) });
  }
}

const clean = (culprit: number, unbuildable: number[] = []) => (i: number): StepOutcome =>
  unbuildable.includes(i) ? 'skip' : i >= culprit ? 'bad' : 'good';

describe('search', () => {
  it('finds every culprit of a clean history within ceil(log2 N) + 2 steps', () => {
    for (const count of [1, 2, 3, 5, 8, 14, 33, 100]) {
      for (let culprit = 1; culprit <= count; culprit++) {
        const { decision, steps } = bisect(count, clean(culprit));
        expect(decision, `N=${count} culprit=${culprit}`).toEqual({ kind: 'found', index: culprit });
        expect(steps.length).toBeLessThanOrEqual(Math.ceil(Math.log2(count)) + 2);
      }
    }
  });

  it('names the candidate without a step when it is the only commit', () => {
    expect(search({ count: 1, observations: [], cap: 3 })).toEqual({ kind: 'found', index: 1 });
  });

  it("the example's history: skips the unbuildable commit 7 and finds commit 9 in 6 steps", () => {
    const { decision, steps } = bisect(14, clean(9, [7]));
    expect(decision).toEqual({ kind: 'found', index: 9 });
    expect(steps[0]).toEqual({ index: 7, outcome: 'skip' });
    expect(steps.length).toBeLessThanOrEqual(Math.ceil(Math.log2(14)) + 2);
  });

  it('goes on around skipped commits that are not next to the culprit', () => {
    for (let culprit = 1; culprit <= 20; culprit++) {
      const unbuildable = [4, 5, 13].filter((i) => i !== culprit - 1 && i !== culprit);
      const { decision } = bisect(20, clean(culprit, unbuildable), 20);
      if (unbuildable.includes(culprit - 2) && unbuildable.includes(culprit - 1)) continue;
      expect(decision, `culprit=${culprit}`).toEqual({ kind: 'found', index: culprit });
    }
  });

  it('ends inconclusive, naming the range, when the culprit sits right after unbuildable commits', () => {
    const { decision } = bisect(12, clean(7, [5, 6]), 12);
    expect(decision).toMatchObject({ kind: 'inconclusive', lo: 4, hi: 7, why: { skipped: [5, 6], flaky: [], capReached: false } });
  });

  it('a commit that fails by chance once is re-run and never named', () => {
    // Commit 6 is good but its first step fails: the search first closes in on it, its confirmation
    // passes, and the real culprit 9 is found.
    const { decision, steps } = bisect(14, (i, tries) => (i === 7 && tries === 0 ? 'bad' : clean(9)(i)), 14);
    expect(steps.filter((s) => s.index === 7).map((s) => s.outcome)).toEqual(['bad', 'good']);
    expect(decision).not.toMatchObject({ kind: 'found', index: 7 });
    expect(decision.kind === 'found' ? decision.index : decision.kind).toBe(9);
  });

  it('a flaky commit next to the culprit makes it inconclusive, not wrong', () => {
    // Commit 8 (good) fails on its first step; 9 is the culprit.
    const { decision } = bisect(14, (i, tries) => (i === 8 && tries === 0 ? 'bad' : clean(9)(i)), 14);
    expect(decision).toMatchObject({ kind: 'inconclusive', lo: 7, hi: 9, why: { flaky: [8] } });
  });

  it('a bad commit that passes by chance is caught by its confirmation', () => {
    const { decision } = bisect(14, (i, tries) => (i === 10 && tries === 0 ? 'good' : clean(9)(i)), 14);
    expect(decision.kind === 'found' ? decision.index : decision).not.toBe(11);
    expect(decision).not.toMatchObject({ kind: 'found', index: 11 });
  });

  it('stops at the cap with the range narrowed so far', () => {
    const { decision, steps } = bisect(100, clean(37), 3);
    expect(steps).toHaveLength(3);
    expect(decision).toMatchObject({ kind: 'inconclusive', why: { capReached: true } });
    if (decision.kind === 'inconclusive') {
      expect(decision.lo).toBeLessThan(37);
      expect(decision.hi).toBeGreaterThanOrEqual(37);
    }
  });

  it('retries a step that hit an infrastructure error, then treats the commit as untestable; errors do not count against the cap', () => {
    const first = search({ count: 4, observations: [{ index: 2, outcome: 'error' }], cap: 10 });
    expect(first).toEqual({ kind: 'test', index: 2, purpose: 'retry' });
    const { decision, steps } = bisect(6, (i) => (i === 3 ? 'error' : clean(5)(i)), 10);
    expect(steps.filter((s) => s.index === 3)).toHaveLength(3);
    expect(decision).toEqual({ kind: 'found', index: 5 });
    // Next to the culprit, an untestable commit leaves the answer open.
    expect(bisect(6, (i) => (i === 4 ? 'error' : clean(5)(i)), 10).decision).toMatchObject({ kind: 'inconclusive', lo: 3, hi: 5, why: { errored: [4] } });
    // A passing outage: two errors, then the commit runs; the cap (4) counts only the steps that ran.
    const outage = bisect(14, (i, tries) => (i === 7 && tries < 2 ? 'error' : clean(9)(i)), defaultCap(14) - 3);
    expect(outage.steps.filter((s) => s.outcome === 'error')).toHaveLength(2);
    expect(outage.decision).toMatchObject({ kind: 'inconclusive', why: { capReached: true } });
    expect(outage.steps.filter((s) => s.outcome !== 'error')).toHaveLength(defaultCap(14) - 3);
    expect(bisect(14, (i, tries) => (i === 7 && tries < 2 ? 'error' : clean(9)(i))).decision).toEqual({ kind: 'found', index: 9 });
  });
});

/** Runs the per-test search to its end against a per-test oracle (what each test does at each commit). */
function bisectPerTest(count: number, tests: string[], oracle: (index: number, test: string, tries: number) => StepOutcome, cap = defaultCap(count)) {
  const steps: PerTestStep[] = [];
  for (;;) {
    const decision = searchPerTest({ count, tests, steps, cap });
    if (decision.kind !== 'test') return { decision, steps };
    expect(decision.index).toBeGreaterThan(0);
    expect(decision.index).toBeLessThan(count);
    const tries = steps.filter((s) => s.index === decision.index).length;
    const outcomes: Record<'good' | 'bad' | 'skip', string[]> = { good: [], bad: [], skip: [] };
    for (const test of tests) outcomes[oracle(decision.index, test, tries) as 'good' | 'bad' | 'skip'].push(test);
    // The step as a whole, as outcome.ts decides it: bad when any of them fails again.
    const outcome: StepOutcome = outcomes.bad.length ? 'bad' : outcomes.good.length ? 'good' : 'skip';
    steps.push({ index: decision.index, outcome, tests: outcomes });
  }
}

/** 12 tests that first fail at `a`, one that first fails at `b` (the postgres cell). */
const TWELVE = Array.from({ length: 12 }, (_, i) => `returning::t${i}`);
const twoCulprits = (a: number, b: number, unbuildable: number[] = []) => (i: number, test: string): StepOutcome =>
  unbuildable.includes(i) ? 'skip' : i >= (test === 'knex-methods' ? b : a) ? 'bad' : 'good';
const found = (groups: GroupDecision[]) => groups.map((g) => [g.decision.kind === 'found' ? g.decision.index : g.decision.kind, g.tests.length]);

describe('search per test', () => {
  it('one culprit: the same steps, in the same order, as the search of the cell as a whole', () => {
    for (const count of [1, 2, 5, 14, 33]) {
      for (let culprit = 1; culprit <= count; culprit++) {
        const whole = bisect(count, clean(culprit));
        const perTest = bisectPerTest(count, TWELVE, (i) => clean(culprit)(i));
        expect(perTest.steps.map((s) => [s.index, s.outcome]), `N=${count} culprit=${culprit}`).toEqual(whole.steps.map((s) => [s.index, s.outcome]));
        expect(perTest.decision).toEqual({ kind: 'done', groups: [{ tests: TWELVE, decision: { kind: 'found', index: culprit } }] });
      }
    }
  });

  it("the example's history (skip at 7, culprit 9): no more steps than the search of the cell as a whole", () => {
    const whole = bisect(14, clean(9, [7]));
    const perTest = bisectPerTest(14, ['a', 'b', 'c', 'd', 'e'], (i) => clean(9, [7])(i));
    expect(perTest.steps.length).toBe(whole.steps.length);
    expect(perTest.steps.length).toBeLessThanOrEqual(Math.ceil(Math.log2(14)) + 2);
  });

  it('two culprits: names both with their tests, in at most one search per culprit (2 x (ceil(log2 N) + 2) steps)', () => {
    for (const count of [3, 5, 14, 33]) {
      const bound = 2 * (Math.ceil(Math.log2(count)) + 2);
      for (let a = 1; a < count; a++) {
        for (let b = a + 1; b <= count; b++) {
          const { decision, steps } = bisectPerTest(count, [...TWELVE, 'knex-methods'], twoCulprits(a, b));
          expect(decision.kind === 'done' && found(decision.groups), `N=${count} a=${a} b=${b}`).toEqual([[a, 12], [b, 1]]);
          expect(steps.length, `N=${count} a=${a} b=${b}`).toBeLessThanOrEqual(bound);
        }
      }
    }
  });

  it('the steps grow with the culprits, not the tests: 1,000 tests of two culprits take the steps 13 do', () => {
    const many = Array.from({ length: 999 }, (_, i) => `returning::t${i}`);
    for (const [a, b] of [[3, 11], [6, 7], [1, 14]]) {
      const small = bisectPerTest(14, [...TWELVE, 'knex-methods'], twoCulprits(a, b));
      const large = bisectPerTest(14, [...many, 'knex-methods'], twoCulprits(a, b));
      expect(large.steps.map((s) => s.index)).toEqual(small.steps.map((s) => s.index));
      expect(large.decision.kind === 'done' && found(large.decision.groups)).toEqual([[a, 999], [b, 1]]);
    }
  });

  it('two culprits around an unbuildable commit: each found, the skip shared', () => {
    const { decision, steps } = bisectPerTest(14, [...TWELVE, 'knex-methods'], twoCulprits(4, 11, [7]));
    expect(decision.kind === 'done' && found(decision.groups)).toEqual([[4, 12], [11, 1]]);
    expect(steps.filter((s) => s.index === 7)).toHaveLength(1);
    expect(steps.length).toBeLessThanOrEqual(2 * (Math.ceil(Math.log2(14)) + 2));
  });

  it('a culprit hidden by unbuildable commits leaves its group inconclusive and the other found', () => {
    const { decision } = bisectPerTest(14, [...TWELVE, 'knex-methods'], twoCulprits(4, 10, [8, 9]), 20);
    expect(decision.kind === 'done' && found(decision.groups)).toEqual([[4, 12], ['inconclusive', 1]]);
    expect(decision.kind === 'done' && decision.groups[1].decision).toMatchObject({ kind: 'inconclusive', lo: 7, hi: 10, why: { skipped: [8, 9] } });
  });

  it('the cap is one search per group: two groups stop at twice the cap, never more', () => {
    const { decision, steps } = bisectPerTest(100, [...TWELVE, 'knex-methods'], twoCulprits(20, 80), 3);
    expect(steps.length).toBeLessThanOrEqual(6);
    expect(decision).toMatchObject({ kind: 'done' });
    if (decision.kind === 'done') expect(decision.groups.some((g) => g.decision.kind === 'inconclusive' && g.decision.why.capReached)).toBe(true);
  });

  it('a step stored without per-test outcomes counts for every test as the step did', () => {
    const steps: PerTestStep[] = [{ index: 7, outcome: 'good', tests: null }, { index: 10, outcome: 'bad', tests: { bad: ['x'], good: ['y'] } }];
    expect(searchPerTest({ count: 14, tests: ['x', 'y'], steps, cap: 10 })).toMatchObject({ kind: 'test' });
    // Without ids (a regression by the side status) the step outcomes are the only group.
    expect(searchPerTest({ count: 1, tests: [], steps: [], cap: 3 })).toEqual({ kind: 'done', groups: [{ tests: [], decision: { kind: 'found', index: 1 } }] });
  });
});
