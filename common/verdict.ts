/**
 * Verdicts, exactly as CONTRACT.md defines them. Pure functions of the side results, so they are tested
 * without a queue, a container or a database.
 */
import { failedKeys, failureKey, resolvedFailures, sameFailures } from './test-evidence.js';
import type { CellVerdict, GateJson, RunJson, RunVerdict, SideStatus, TestOutcome } from './types.js';
import { diffDdl, diffSchemas, MIGRATE_FAILED, ROUND_TRIP_FAILED, ROUND_TRIP_OBJECT, schemaReason, type SchemaChange } from './schema/diff.js';
import type { SchemaDocument } from './schema/document.js';

/** One attempt of one side, as the verdict needs it. */
export interface SideAttempt {
  status: SideStatus;
  tests: TestOutcome[];
  /** The side's own reason (a failed migrate's output). */
  reason?: string;
  /** What the consumer's migrations built on this side (`schema:`). */
  schema?: { document: SchemaDocument; ddl?: string; roundTrip?: SchemaChange[] };
}

/** A consumer's `schema:` as the verdict needs it. */
export interface SchemaRule {
  ignore: readonly string[];
  /** onChange: block (a changed schema is a regression) or warn (shown only). */
  block: boolean;
}

/** The schema changes of one attempt; null when a side has no schema to compare (its migrate failed). */
export function schemaChangesOf(pair: AttemptPair, rule: SchemaRule): SchemaChange[] | null {
  const b = pair.baseline.schema;
  const c = pair.candidate.schema;
  if (!b || !c) return null;
  // A round trip (`downgrade:`) that holds on the baseline and not on the candidate: its changes, named
  // as such (`round trip / ...`: the candidate's first schema against the one after downgrade and migrate).
  const roundTrip = b.roundTrip && b.roundTrip.length === 0 ? (c.roundTrip ?? []).map((change) => ({ ...change, object: `${ROUND_TRIP_OBJECT}${change.object}` })) : [];
  return [...diffSchemas(b.document, c.document, rule.ignore), ...diffDdl(b.ddl, c.ddl), ...roundTrip];
}

/** Whether one attempt's schema makes it a suspect: it differs, and differences block. */
function schemaSuspect(pair: AttemptPair, rule: SchemaRule | undefined): boolean {
  return Boolean(rule?.block && (schemaChangesOf(pair, rule)?.length ?? 0) > 0);
}

export interface AttemptPair {
  candidate: SideAttempt;
  baseline: SideAttempt;
}

const FAILED: SideStatus[] = ['failed', 'timeout'];

/** Whether a cell's verdict, or a side's status, is final: anything but pending and running. */
export function isFinished(state: CellVerdict | SideStatus): boolean {
  return state !== 'pending' && state !== 'running';
}

function passedIds(side: SideAttempt): Set<string> {
  return new Set(side.tests.filter((t) => t.status === 'passed').map((t) => t.id));
}

/**
 * Tests the candidate fails that the baseline passed (or did not have: a new test that fails counts too,
 * as does a hook's or a collection's failure, which exists only when it fails). Compared by failure key:
 * the same hook failing before another test on the baseline is no new failure.
 */
export function newFailuresOf(pair: AttemptPair): string[] {
  const baselineFailed = failedKeys(pair.baseline.tests);
  const failed = new Set(pair.candidate.tests.filter((t) => t.status === 'failed').map((t) => t.id));
  return [...failed].filter((id) => !baselineFailed.has(failureKey(id))).sort();
}

/**
 * Tests the baseline failed that the candidate passes; a baseline failure that exists only on failure
 * (a hook's) is fixed when it is gone and the tests it hid ran and passed on the candidate.
 */
export function fixedTestsOf(pair: AttemptPair): string[] {
  return resolvedFailures(pair.baseline.tests, pair.candidate.tests);
}

/**
 * Whether one attempt looks like a regression: the baseline passes and the candidate fails or times out,
 * or both fail and the candidate fails tests the baseline did not.
 */
export function isSuspect(pair: AttemptPair): boolean {
  const c = pair.candidate.status;
  const b = pair.baseline.status;
  if (b === 'passed' && FAILED.includes(c)) return true;
  if (FAILED.includes(b) && FAILED.includes(c)) return newFailuresOf(pair).length > 0;
  return false;
}

/** Why a `failing` cell tells nothing about the candidate (CONTRACT: no evidence is not a pass). */
export const NO_EVIDENCE = 'baseline passed no test';

export interface CellDecision {
  verdict: CellVerdict;
  /** Set when the verdict needs a word more: `NO_EVIDENCE`. */
  reason?: string;
  newFailures: string[];
  fixedTests: string[];
  /** Re-runs still wanted before the verdict is final (0 when it is). */
  rerunsWanted: number;
  /** The candidate's schema against the baseline's (`schema:`), of the first attempt or, for a regression, those that held on every one. */
  schemaChanges: SchemaChange[];
}

/**
 * Decides a cell from its attempts (attempt 0 first, then confirming re-runs), every one with both
 * sides finished. A suspect first attempt asks for `reruns` re-runs; it is a regression only when every
 * re-run repeats it, with the tests that failed anew each time.
 */
export function decideCell(attempts: AttemptPair[], reruns: number, schema?: SchemaRule): CellDecision {
  const first = attempts[0];
  const firstChanges = (schema && schemaChangesOf(first, schema)) ?? [];
  const none = { newFailures: [], fixedTests: [], rerunsWanted: 0, schemaChanges: firstChanges };
  const suspect = (pair: AttemptPair) => isSuspect(pair) || schemaSuspect(pair, schema);
  if (first.candidate.status === 'error' || first.baseline.status === 'error') return { verdict: 'error', ...none };
  const c = first.candidate.status;
  const b = first.baseline.status;
  // A baseline that failed without passing a single test (the suite did not collect, the artifact would
  // not install) compares to nothing: any candidate failure, new or not, says nothing about the release.
  if (FAILED.includes(b) && passedIds(first.baseline).size === 0 && c !== 'passed') {
    return { verdict: 'failing', reason: NO_EVIDENCE, ...none };
  }
  if (!suspect(first)) {
    if (c === 'passed' && b === 'passed') return { verdict: 'pass', ...none };
    if (c === 'passed' && FAILED.includes(b)) return { verdict: 'fixed', ...none, fixedTests: fixedTestsOf(first) };
    return { verdict: 'failing', ...none, fixedTests: fixedTestsOf(first) };
  }
  if (attempts.length < 1 + reruns) return { verdict: 'running', ...none, rerunsWanted: 1 + reruns - attempts.length };
  const confirming = attempts.slice(1);
  if (confirming.some((pair) => pair.candidate.status === 'error' || pair.baseline.status === 'error')) {
    return { verdict: 'error', ...none };
  }
  const everyRepeats = confirming.every(suspect);
  // newFailures that held on every attempt; a timeout with no JUnit has none, and still regresses. By
  // failure key: a hook failure named after another test on a targeted re-run is the same failure.
  let stable = newFailuresOf(first);
  for (const pair of confirming) stable = sameFailures(stable, newFailuresOf(pair));
  const verdict: CellVerdict = everyRepeats ? 'regression' : 'flaky';
  // The schema changes that held on every attempt (a regression's), by object and what it became.
  const key = (c: SchemaChange) => JSON.stringify([c.object, c.change, c.candidate]);
  let schemaChanges = firstChanges;
  if (everyRepeats && schema) {
    for (const pair of confirming) {
      const again = new Set((schemaChangesOf(pair, schema) ?? []).map(key));
      schemaChanges = schemaChanges.filter((c) => again.has(key(c)));
    }
  }
  const blockedBySchema = everyRepeats && schema?.block && schemaChanges.length > 0;
  const own = first.candidate.reason;
  const migrateReason = own && (own.startsWith(MIGRATE_FAILED) || own.startsWith(ROUND_TRIP_FAILED)) && first.baseline.status === 'passed' ? own : undefined;
  const onlyRoundTrip = schemaChanges.every((c) => c.object.startsWith(ROUND_TRIP_OBJECT));
  const reason = blockedBySchema ? (onlyRoundTrip ? `round trip breaks: ${schemaChanges.length} changes` : schemaReason(schemaChanges.length)) : everyRepeats ? migrateReason : undefined;
  return {
    verdict,
    ...(reason ? { reason } : {}),
    newFailures: everyRepeats ? [...stable].sort() : newFailuresOf(first),
    fixedTests: fixedTestsOf(first),
    rerunsWanted: 0,
    schemaChanges,
  };
}

/** A decided cell as the run's verdict needs it. */
export interface CellOutcome {
  verdict: CellVerdict;
  reason?: string;
}

/** A cell that leaves the release unchecked: the infrastructure could not run it, or it gave no evidence. */
export function leavesIncomplete(cell: CellOutcome): boolean {
  return cell.verdict === 'error' || cell.reason === NO_EVIDENCE;
}

/** The run's verdict from its cells; the gate applies the same to the newest verdict of each cell. */
export function decideRun(cells: CellOutcome[]): Exclude<RunVerdict, 'cancelled'> {
  const verdicts = cells.map((c) => c.verdict);
  if (!verdicts.every(isFinished)) {
    // A regression already confirmed blocks the release even before the rest finishes.
    return verdicts.includes('regression') ? 'blocked' : 'pending';
  }
  if (verdicts.includes('regression')) return 'blocked';
  if (cells.some(leavesIncomplete)) return 'incomplete';
  return 'pass';
}

/** A run as the gate reads it: its cells, and whether its baseline is the version's own. */
export type GateRun = Pick<RunJson, 'id' | 'cells' | 'ownBaseline'> & { verdict?: RunJson['verdict'] };

/**
 * The runs that may decide a version's gate: those against the version's own baseline (the default
 * previous release, or the registry's). A run against any other baseline (`--baseline v1.1.0` for the
 * candidate v1.1.0 makes every cell `failing`) answers its own question, never the gate's. Runs stored
 * before the rule (no `ownBaseline`) count, as they did. A cancelled run is no run: it never decides.
 */
export function gateRuns<T extends GateRun>(runs: T[]): T[] {
  return runs.filter((run) => run.ownBaseline !== false && run.verdict !== 'cancelled');
}

/**
 * What a `pass` whose every cell is `failing` means, said plainly: nothing new broke, and the suites
 * fail on both sides. Null for any other run. The CLI table, the dashboard and the status description
 * all say this same line.
 */
export function allFailingNote(run: Pick<RunJson, 'verdict' | 'cells'>): string | null {
  if (run.verdict !== 'pass' || run.cells.length === 0 || !run.cells.every((c) => c.verdict === 'failing')) return null;
  const failing = run.cells.reduce((n, c) => n + Math.max(c.candidate.tests.failed, c.baseline.tests.failed), 0);
  return `pass: no new failures; ${failing} test${failing === 1 ? '' : 's'} fail${failing === 1 ? 's' : ''} on both sides`;
}

/**
 * The gate over the runs of a version, newest first, of which only those against the version's own
 * baseline count ({@link gateRuns}): each cell counts by its newest verdict among them, so a re-run of
 * one cell (`--consumer`, `--backend`) settles that cell without hiding the others. The state is the run
 * verdict of those cells, by the same rule as one run's; each cell names the run that decided it.
 */
export function gateOf(runs: GateRun[]): GateJson {
  const deciding = gateRuns(runs);
  if (!deciding.length) return { state: 'pending', runId: null, regressions: [], cells: [] };
  const newest = new Map<string, { cell: RunJson['cells'][number]; runId: string }>();
  for (const run of deciding) for (const cell of run.cells) if (!newest.has(cell.id)) newest.set(cell.id, { cell, runId: run.id });
  const decided = [...newest.values()].sort((a, b) => (a.cell.id < b.cell.id ? -1 : a.cell.id > b.cell.id ? 1 : 0));
  const cells = decided.map((d) => d.cell);
  const regressions = decided
    .filter((d) => d.cell.verdict === 'regression')
    .map((d) => ({
      cell: d.cell.id,
      consumer: d.cell.consumer,
      backend: d.cell.backend,
      newFailures: d.cell.newFailures,
      ...(d.cell.newFailuresTotal !== undefined ? { newFailuresTotal: d.cell.newFailuresTotal } : {}),
      runId: d.runId,
    }));
  return {
    state: decideRun(cells),
    runId: deciding[0].id,
    regressions,
    cells: decided.map((d) => ({ cell: d.cell.id, verdict: d.cell.verdict, runId: d.runId })),
  };
}
