/**
 * The causes of a run's failures (common/clusters) in the store: each failed test of a candidate's
 * first attempt (the attempt a cell shows) gets its cause when the result is recorded, so a run's
 * clusters read short columns instead of every message and trace (10,000 failures with their traces
 * are tens of megabytes). A run recorded before the table gets its causes from the messages.
 */
import type Database from 'better-sqlite3';
import type { NewFailure } from '../../common/clusters/cluster.js';
import { causeIn, packageDirs, type FailureCause } from '../../common/clusters/normalise.js';
import type { TestOutcome } from '../../common/types.js';
import { parseStringList } from './schema.js';

/** Records the causes of a candidate side's failed tests (inside the side's own transaction). */
export function recordCauses(db: Database.Database, runId: string, cellId: string, tests: TestOutcome[]): void {
  const failed = tests.filter((t) => t.status === 'failed');
  if (!failed.length) return;
  const run = db.prepare('SELECT library FROM runs WHERE id = ?').get(runId) as { library: string } | undefined;
  const dirs = packageDirs(run ? [run.library] : []);
  const insert = db.prepare('INSERT OR REPLACE INTO failure_causes (run_id, cell_id, test_id, line, pattern, frame) VALUES (?, ?, ?, ?, ?, ?)');
  for (const test of failed) {
    const cause = causeIn(test.message, dirs);
    insert.run(runId, cellId, test.id, cause.line, cause.pattern, cause.frame ?? null);
  }
}

/** The regressed cells' new failures (all of them, not the run JSON's first 50), each with its cause. */
export function runNewFailures(db: Database.Database, runId: string, library: string[]): NewFailure[] {
  const cells = db
    .prepare(`SELECT id, new_failures FROM cells WHERE run_id = ? AND verdict = 'regression' AND new_failures != '[]'`)
    .raw(true)
    .all(runId) as Array<[string, string]>;
  if (!cells.length) return [];
  const causes = new Map<string, FailureCause>();
  const rows = db.prepare('SELECT cell_id, test_id, line, pattern, frame FROM failure_causes WHERE run_id = ?').raw(true).all(runId) as Array<
    [string, string, string, string, string | null]
  >;
  for (const [cell, test, line, pattern, frame] of rows) causes.set(`${cell}\u0000${test}`, frame ? { line, pattern, frame } : { line, pattern });
  const failures: NewFailure[] = [];
  const missing = new Set<string>();
  for (const [cell, json] of cells) {
    for (const test of parseStringList(json, `run "${runId}" cell "${cell}" new_failures`)) {
      const cause = causes.get(`${cell}\u0000${test}`);
      if (!cause) missing.add(cell);
      failures.push(cause ? { cell, test, cause } : { cell, test });
    }
  }
  if (missing.size) fillFromMessages(db, runId, missing, failures, library);
  return failures;
}

/** Causes from the stored messages, for failures recorded before failure_causes existed. */
function fillFromMessages(db: Database.Database, runId: string, cells: Set<string>, failures: NewFailure[], library: string[]): void {
  const read = db.prepare(`SELECT test_id, message FROM test_outcomes WHERE run_id = ? AND cell_id = ? AND side = 'candidate' AND attempt = 0 AND status = 'failed'`).raw(true);
  const messages = new Map<string, string | null>();
  for (const cell of cells) for (const [test, message] of read.all(runId, cell) as Array<[string, string | null]>) messages.set(`${cell}\u0000${test}`, message);
  const dirs = packageDirs(library);
  for (const failure of failures) {
    if (failure.cause) continue;
    failure.cause = causeIn(messages.get(`${failure.cell}\u0000${failure.test}`) ?? undefined, dirs);
  }
}
