/**
 * The bisect's search, as a pure function of what the steps so far observed: which commit to test next,
 * or the answer. Commits are numbered along the first-parent history: 0 is the baseline (good, the run
 * showed it), `count` the candidate (bad, the run confirmed it), 1..count-1 the commits between.
 *
 * Like `git bisect`: binary search between the last good and the first bad commit; a commit that
 * cannot be tested (its build fails) is skipped and the search goes on around it. On top of that, the
 * two commits that frame the answer are each tested a second time unless the run itself vouched for
 * them: a flaky step then shows as a commit seen both good and bad, which is never taken for either.
 */

export type StepOutcome = 'good' | 'bad' | 'skip' | 'error';

export interface Observation {
  index: number;
  outcome: StepOutcome;
}

export interface SearchInput {
  /** Index of the candidate: the number of first-parent commits after the baseline. */
  count: number;
  observations: Observation[];
  /**
   * Most steps the search may take. A step that hit an infrastructure error (a database server gone,
   * a worker lost past its retries) taught nothing about the commit: it does not count.
   */
  cap: number;
}

/** Why the commits between the last good and the first bad one could not be told apart. */
export interface Unresolved {
  /** Their build failed (or the suite could not run on them). */
  skipped: number[];
  /** Seen good once and bad once. */
  flaky: number[];
  /** Infrastructure errors on every try. */
  errored: number[];
  capReached: boolean;
}

export type SearchDecision =
  | { kind: 'test'; index: number; purpose: 'search' | 'confirm' | 'retry' }
  | { kind: 'found'; index: number }
  /** The first bad commit is one of (lo, hi]. */
  | { kind: 'inconclusive'; lo: number; hi: number; why: Unresolved };

type Status = 'good' | 'bad' | 'skip' | 'flaky' | 'errored' | 'untested';

/** Infrastructure errors a commit may have before it counts as untestable. */
const MAX_ERRORS = 3;

/** The default step cap for `count` commits after the baseline: ceil(log2 N) + 3. */
export function defaultCap(count: number): number {
  return Math.ceil(Math.log2(Math.max(count, 1))) + 3;
}

export function search(input: SearchInput): SearchDecision {
  const { count, observations, cap } = input;
  const seen = (index: number, outcome: StepOutcome) => observations.filter((o) => o.index === index && o.outcome === outcome).length;
  const status = (index: number): Status => {
    const good = seen(index, 'good') + (index === 0 ? 1 : 0);
    const bad = seen(index, 'bad') + (index === count ? 1 : 0);
    if (seen(index, 'skip') > 0) return 'skip';
    if (good > 0 && bad > 0) return 'flaky';
    if (good > 0) return 'good';
    if (bad > 0) return 'bad';
    return seen(index, 'error') >= MAX_ERRORS ? 'errored' : 'untested';
  };
  const statuses = Array.from({ length: count + 1 }, (_, i) => status(i));
  // The first commit seen bad, and the last good one before it (a flaky commit is neither).
  let hi = statuses.indexOf('bad');
  if (hi < 0) hi = count; // the candidate seen good on a confirming step: flaky, still the upper end
  let lo = 0;
  for (let i = hi - 1; i > 0; i--) {
    if (statuses[i] === 'good') {
      lo = i;
      break;
    }
  }
  const capReached = observations.filter((o) => o.outcome !== 'error').length >= cap;
  const unresolved = (): Unresolved => {
    const between = (s: Status) => range(lo + 1, hi).filter((i) => statuses[i] === s);
    return { skipped: between('skip'), flaky: between('flaky'), errored: between('errored'), capReached };
  };

  const untested = range(lo + 1, hi).filter((i) => statuses[i] === 'untested');
  if (untested.length > 0) {
    if (capReached) return { kind: 'inconclusive', lo, hi, why: unresolved() };
    const index = nearest(untested, Math.floor((lo + hi) / 2));
    return { kind: 'test', index, purpose: seen(index, 'error') > 0 ? 'retry' : 'search' };
  }
  if (hi === lo + 1 && statuses[hi] === 'bad') {
    // Adjacent: confirm each end that one step alone vouched for, the bad one first (a suite that
    // fails by chance names a commit too early; one that passes by chance, too late).
    const confirmations = [
      { index: hi, needed: hi !== count && seen(hi, 'bad') < 2 },
      { index: lo, needed: lo !== 0 && seen(lo, 'good') < 2 },
    ];
    const next = confirmations.find((c) => c.needed);
    if (!next) return { kind: 'found', index: hi };
    if (capReached) return { kind: 'inconclusive', lo, hi, why: unresolved() };
    return { kind: 'test', index: next.index, purpose: 'confirm' };
  }
  return { kind: 'inconclusive', lo, hi, why: unresolved() };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** The candidate closest to `mid`, the later one first on a tie (as the next commit after a skip). */
function nearest(candidates: number[], mid: number): number {
  return candidates.reduce((best, i) => {
    const d = Math.abs(i - mid);
    const bestD = Math.abs(best - mid);
    return d < bestD || (d === bestD && i > best) ? i : best;
  });
}

/**
 * Per test (issue 23): each step runs the whole selection, so every new failure has its own outcome at
 * each commit, and its own interval where it first fails. Tests that behaved alike at every step so far
 * share one interval and are searched as one group by `search` above; a step that lands between two
 * culprits splits a group in two, and each goes on alone. The steps therefore grow with the number of
 * distinct culprits (one search each, sharing the steps they have in common), never with the number of
 * tests: one culprit takes exactly the steps `search` takes.
 */

/** What one step said of each new failure; null: the step as a whole (an error, a build that failed, a step stored before per-test outcomes). */
export type TestOutcomes = Partial<Record<'good' | 'bad' | 'skip', string[]>> | null;

export interface PerTestStep extends Observation {
  tests: TestOutcomes;
}

export interface PerTestInput {
  count: number;
  /** The new failures searched for; empty: the cell as a whole (a regression without per-test ids). */
  tests: string[];
  steps: PerTestStep[];
  /** The cap of one culprit's search; the whole search may take it once per group, up to MAX_GROUPS times. */
  cap: number;
}

export interface GroupDecision {
  tests: string[];
  decision: Exclude<SearchDecision, { kind: 'test' }>;
}

export type PerTestDecision =
  | { kind: 'test'; index: number; purpose: 'search' | 'confirm' | 'retry' }
  /** Every group's answer, the largest group first. */
  | { kind: 'done'; groups: GroupDecision[] };

/** Groups past this share the cap of the last: a suite whose tests each flake alone does not buy a search per test. */
export const MAX_GROUPS = 5;

export function searchPerTest(input: PerTestInput): PerTestDecision {
  const { count, steps } = input;
  const lookups = steps.map((s) => {
    if (s.outcome === 'error' || !s.tests) return null;
    const byTest = new Map<string, StepOutcome>();
    for (const outcome of ['good', 'bad', 'skip'] as const) for (const id of s.tests[outcome] ?? []) byTest.set(id, outcome);
    return byTest;
  });
  // A test a step did not name could not be told apart there: skipped for it.
  const outcomeOf = (i: number, test: string | null): StepOutcome => {
    const lookup = lookups[i];
    return lookup && test !== null ? (lookup.get(test) ?? 'skip') : steps[i].outcome;
  };
  const groups = new Map<string, string[]>();
  for (const test of input.tests) {
    const signature = steps.map((_, i) => outcomeOf(i, test)).join(',');
    const group = groups.get(signature);
    if (group) group.push(test);
    else groups.set(signature, [test]);
  }
  const members = input.tests.length ? [...groups.values()] : [[]];
  const cap = input.cap * Math.min(members.length, MAX_GROUPS);
  const decided = members.map((tests) => ({
    tests,
    decision: search({ count, cap, observations: steps.map((s, i) => ({ index: s.index, outcome: outcomeOf(i, tests[0] ?? null) })) }),
  }));
  decided.sort((a, b) => b.tests.length - a.tests.length);
  const next = decided.find((g) => g.decision.kind === 'test');
  if (next && next.decision.kind === 'test') return next.decision;
  return { kind: 'done', groups: decided as GroupDecision[] };
}
