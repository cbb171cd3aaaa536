/**
 * Verdicts that know the noise (issue 21 item 2). A new failure is confirmed when it fails again on
 * every confirming re-run. For a test calibration measured failing at rate p on the baseline against
 * itself, k re-runs of the candidate all failing it by chance has probability p^k (each run of a flaky
 * test fails with probability p, independently).
 *
 * The threshold, from the numbers: a confirmation may be chance at most CHANCE_MAX = 1 in 1,000.
 * Today's 2 re-runs meet that for p^2 < 0.001, p < 0.032: a test flaking less than 1 run in 32 keeps
 * today's rule. A 1-in-5 test (p = 0.2) gets k = ceil(log 0.001 / log 0.2) = 5 re-runs (0.03%); past
 * MAX_RERUNS = 8 (p > 0.42: a test failing about every other run) re-runs cannot tell at a bearable
 * cost, and the failure is `flaky` with its rate. The bound is 8 and not 6 because 20 calibration
 * samples of a 1-in-5 test measure 6 failures or more one time in 5 (an estimate over 0.316, past 6
 * re-runs' reach), and 9 or more only one time in 100: with 6 a real regression of such a test would be
 * called flaky a fifth of the time. Why 1 in 1,000 and not 1 in 100: over 20 runs of a candidate
 * that did not break a 1-in-5 test, a false regression needs attempt 0 to be suspect (candidate fails,
 * baseline passes: 0.2 x 0.8 = 0.16) and then k re-runs failing: today (k = 2, re-runs also needing the
 * baseline to pass) 20 x 0.16^3 = 0.08 false regressions per 20 runs; at 1 in 100 (k = 3) 20 x 0.16 x
 * 0.2^3 = 0.026, about one in 40 batches of 20; at 1 in 1,000 (k = 5) 0.001, one in 1,000 batches.
 *
 * For a rated test a re-run holds when the candidate fails it, whatever the baseline did: the baseline
 * flaking too says nothing about the candidate, and a real regression of a flaky test must still be
 * found. The rate is estimated as (failures + 1) / (samples + 2): never 0 for a test seen failing, and
 * high on few samples (more re-runs, not fewer). A test never seen failing (or never calibrated) has no
 * rate and keeps today's rule exactly.
 */
import { sameFailures } from '../test-evidence.js';
import { decideCell, newFailuresOf, type AttemptPair, type CellDecision, type SchemaRule } from '../verdict.js';

/** Largest chance a confirmation may be: 1 in 1,000. */
export const CHANCE_MAX = 0.001;
/** Most confirming re-runs a flaky test may get (the bound). */
export const MAX_RERUNS = 8;

/** A test's measured failure rate on the baseline against itself. */
export interface FlakeRate {
  failures: number;
  samples: number;
  /** When the newest sample was taken, ISO 8601. */
  measuredAt: string;
}

/** The estimate the rule uses: (failures + 1) / (samples + 2); 0 for a test never seen failing. */
export function flakeEstimate(rate: FlakeRate | undefined): number {
  if (!rate || rate.failures === 0 || rate.samples === 0) return 0;
  return (rate.failures + 1) / (rate.samples + 2);
}

function failedIds(pair: AttemptPair): string[] {
  return pair.candidate.tests.filter((t) => t.status === 'failed').map((t) => t.id);
}

/** Re-runs a new failure needs so that all of them failing by chance is at most CHANCE_MAX; Infinity past MAX_RERUNS. */
export function rerunsFor(p: number, reruns: number): number {
  if (p <= 0) return reruns;
  if (p >= 1) return Infinity;
  const k = Math.max(reruns, Math.ceil(Math.log(CHANCE_MAX) / Math.log(p) - 1e-9));
  return k > MAX_RERUNS ? Infinity : k;
}

/** One test's measured rate in one cell (`GET /api/flakes`). */
export interface FlakeRateJson extends FlakeRate {
  cell: string;
  test: string;
  /** flakeEstimate of it: what the verdict uses. */
  rate: number;
}

/** `GET /api/flakes`: the rates calibration measured, and the tests no bounded re-runs see through. */
export interface FlakesJson {
  rates: FlakeRateJson[];
  /** CHANCE_MAX ** (1 / MAX_RERUNS): above it a new failure is `flaky`, never confirmed. */
  candidateRate: number;
  /** Quarantine candidates: suggested, never quarantined by themselves. */
  candidates: FlakeRateJson[];
}

/** A new failure a test's flake rate explains: shown on a `flaky` cell with its rate. */
export interface FlakyTest {
  test: string;
  rate: number;
  failures: number;
  samples: number;
}

export interface FlakeDecision extends CellDecision {
  /** New failures the measured rates explain (flaky, or not repeated on their own re-runs). */
  flakyTests: FlakyTest[];
}

/**
 * decideCell, with each new failure of attempt 0 confirmed on as many re-runs as its flake rate needs
 * (rerunsFor). With no rate for any new failure it is decideCell itself. A test that cannot be
 * confirmed (rate too high) or did not fail on its own re-runs is flaky; the cell is a regression when
 * some new failure is confirmed, else flaky.
 */
export function decideWithFlakes(attempts: AttemptPair[], reruns: number, rates: ReadonlyMap<string, FlakeRate>, schema?: SchemaRule): FlakeDecision {
  const first = attempts[0];
  const plain = decideCell(attempts, reruns, schema);
  const firstNew = first && plain.verdict !== 'error' ? newFailuresOf(first) : [];
  const rated = firstNew.filter((t) => flakeEstimate(rates.get(t)) > 0);
  if (!rated.length || plain.verdict === 'error' || (plain.verdict !== 'running' && plain.verdict !== 'regression' && plain.verdict !== 'flaky')) {
    return { ...plain, flakyTests: [] };
  }
  const need = new Map(firstNew.map((t) => [t, rerunsFor(flakeEstimate(rates.get(t)), reruns)]));
  const finite = [...need.values()].filter(Number.isFinite);
  const wanted = finite.length ? Math.max(reruns, ...finite) : reruns;
  if (attempts.length < 1 + wanted) return { ...plain, verdict: 'running', rerunsWanted: 1 + wanted - attempts.length, flakyTests: [] };
  const confirming = attempts.slice(1);
  if (confirming.some((p) => p.candidate.status === 'error' || p.baseline.status === 'error')) return { ...plain, verdict: 'error', rerunsWanted: 0, flakyTests: [] };
  const confirmed: string[] = [];
  const flakyTests: FlakyTest[] = [];
  for (const test of firstNew) {
    const k = need.get(test)!;
    // Its own re-runs: the candidate failed it again (by failure key, as decideCell compares them).
    const held = Number.isFinite(k) && confirming.slice(0, k).every((pair) => sameFailures([test], failedIds(pair)).length === 1);
    if (held) confirmed.push(test);
    else {
      const rate = rates.get(test);
      flakyTests.push({ test, rate: flakeEstimate(rate), failures: rate?.failures ?? 0, samples: rate?.samples ?? 0 });
    }
  }
  // A failure without test ids (a timeout) is decided as today: only rated ids change anything.
  if (confirmed.length) return { ...plain, verdict: 'regression', newFailures: confirmed.sort(), rerunsWanted: 0, flakyTests };
  return { ...plain, verdict: 'flaky', newFailures: firstNew, rerunsWanted: 0, flakyTests };
}
