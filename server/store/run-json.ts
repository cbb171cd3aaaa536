/**
 * A run, its cells and a consumer's history as the API answers them (common/wire.ts): the store's reads
 * for the HTTP API, the gate and the status reporter, and the JSON built from their rows. Writes stay in
 * store.ts.
 */
import type Database from 'better-sqlite3';
import type { Backend, CellVerdict, Side, SideStatus } from '../../common/types.js';
import type { CellJson, HistoryJson, RunJson, RunSummaryJson, SideSummary } from '../../common/wire.js';
import { criticalPath, type CriticalPath, type SideTiming } from '../../common/timing/critical-path.js';
import type { Bisects } from './bisects.js';
import type { CellRow, RunRow, SideRow } from './rows.js';
import { parseQuarantined } from './quarantines.js';
import { parseDropped, parseRunMeta, parseSchemaChanges, parseStringList } from './schema.js';
import { integrityOf } from '../../common/registry/baseline-ref.js';
import { failureKey } from '../../common/test-evidence.js';

/**
 * Ids of each list (newFailures, fixedTests) a cell shows in a run's JSON, its SSE updates and the gate's
 * answer; `GET /api/runs/:id/cells/:cellId` pages the rest, and Store.cellLists has them all.
 */
export const RUN_JSON_IDS_MAX = 50;

/** The columns of a side a run's JSON shows. */
type SideSummaryRow = Pick<SideRow, 'cell_id' | 'side' | 'attempt' | 'status' | 'duration_ms' | 'passed' | 'failed' | 'skipped' | 'reason' | 'reused_from' | 'phases' | 'dropped'>;

const EMPTY_SIDE: Omit<SideSummary, 'source'> = { status: 'pending', durationMs: null, tests: { passed: 0, failed: 0, skipped: 0 } };

/** The run with its cells; each cell's id lists cut to the first RUN_JSON_IDS_MAX (Store.cellLists has them all). */
export function runJson(db: Database.Database, bisects: Bisects, id: string): RunJson | undefined {
  const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  if (!row) return undefined;
  // Not the config column: a consumer's whole configuration per cell, which a run's JSON does not show.
  // Rows read as arrays (raw): better-sqlite3 makes row objects several times slower than JavaScript does.
  const cells = (
    db
      .prepare('SELECT id, consumer, backend, verdict, attempts, new_failures, fixed_tests, reason, quarantined, schema_changes FROM cells WHERE run_id = ? ORDER BY consumer, backend')
      .raw(true)
      .all(id) as Array<[string, string, Backend, CellVerdict, number, string, string, string | null, string | null, string | null]>
  ).map(([cellId, consumer, backend, verdict, attempts, new_failures, fixed_tests, reason, quarantined, schema_changes]) => ({ run_id: id, id: cellId, consumer, backend, verdict, attempts, new_failures, fixed_tests, reason, quarantined, schema_changes }));
  // Only what a run's JSON shows, unsorted (a cell's side is found by attempt): a 10,000-cell run has
  // 20,000 rows or more, and each column read is a string made.
  const tuples = db
    .prepare('SELECT cell_id, side, attempt, status, duration_ms, passed, failed, skipped, reason, reused_from, phases, dropped FROM side_results WHERE run_id = ?')
    .raw(true)
    .all(id) as Array<[string, Side, number, SideStatus, number | null, number, number, number, string | null, string | null, string | null, string | null]>;
  // Grouped once: a 3,000-cell run would otherwise scan every side result once per cell.
  const byCell = new Map<string, SideSummaryRow[]>();
  for (const [cell_id, side_, attempt, status, duration_ms, passed, failed, skipped, reason, reused_from, phases, dropped] of tuples) {
    const side: SideSummaryRow = { cell_id, side: side_, attempt, status, duration_ms, passed, failed, skipped, reason, reused_from, phases, dropped };
    const list = byCell.get(side.cell_id);
    if (list) list.push(side);
    else byCell.set(side.cell_id, [side]);
  }
  const fields = runFields(row);
  const sources: Record<Side, SideOrigin> = {
    candidate: { source: 'tag' },
    baseline: fields.baselineRegistry ? { source: 'registry', ...fields.baselineRegistry } : { source: row.baseline_source ?? 'tag' },
  };
  // A consumer's bisect shows on each of its regressed cells, saying how much of each it explains.
  const bisectsOf = new Map(bisects.ofRun(id).map((b) => [b.consumer, { json: bisects.json(b), keys: new Set(b.newFailures.map(failureKey)) }]));
  return {
    ...fields,
    ...(row.status === 'done' ? { timing: runTiming(db, row, tuples) } : {}),
    cells: cells.map((cell) => {
      const json = cellJson(id, cell, byCell.get(cell.id) ?? [], sources);
      const bisect = bisectsOf.get(cell.consumer);
      if (!bisect || (cell.verdict !== 'regression' && cell.id !== bisect.json.cellId)) return json;
      const mine = cell.new_failures === '[]' ? [] : parseStringList(cell.new_failures, `run "${id}" cell "${cell.id}" new_failures`);
      // By failure key: a hook's failure named after another test on another backend is the same failure.
      const explains = { tests: mine.filter((t) => bisect.keys.has(failureKey(t))).length, of: mine.length };
      return { ...json, bisect: { ...bisect.json, explains } };
    }),
  };
}

/** A finished run's critical path, from its builds and every attempt of every side. */
function runTiming(db: Database.Database, row: RunRow, tuples: Array<[string, Side, number, SideStatus, number | null, ...unknown[]]>): CriticalPath {
  const builds: Partial<Record<Side, number | null>> = {};
  for (const b of db.prepare('SELECT side, duration_ms FROM builds WHERE run_id = ?').all(row.id) as Array<{ side: Side; duration_ms: number | null }>) builds[b.side] = b.duration_ms;
  const sides: SideTiming[] = tuples.map((t) => {
    const [cellId, side, attempt, , durationMs] = t;
    const reusedFrom = t[9] as string | null;
    const phases = t[10] as string | null;
    const testMs = phases ? ((JSON.parse(phases) as Record<string, number>).test ?? null) : null;
    return { cellId, side, attempt, durationMs, testMs, reused: reusedFrom !== null };
  });
  const wallMs = Math.max(0, Date.parse(row.finished_at ?? new Date().toISOString()) - Date.parse(row.created_at));
  return criticalPath({ wallMs, builds, sides });
}

export function runSummaries(db: Database.Database, options: { library?: string; limit?: number }): RunSummaryJson[] {
  const rows = db
    .prepare(`SELECT * FROM runs WHERE (@library IS NULL OR library = @library) ORDER BY created_at DESC, rowid DESC LIMIT @limit`)
    .all({ library: options.library ?? null, limit: options.limit ?? 200 }) as RunRow[];
  const countRows = db.prepare('SELECT verdict, COUNT(*) AS n FROM cells WHERE run_id = ? GROUP BY verdict');
  return rows.map((row) => {
    const counts = { pass: 0, regression: 0, flaky: 0, fixed: 0, failing: 0, error: 0, pending: 0, running: 0 } as Record<CellVerdict, number>;
    for (const c of countRows.all(row.id) as Array<{ verdict: CellVerdict; n: number }>) counts[c.verdict] = c.n;
    return { ...runFields(row), counts };
  });
}

/** The runs of one candidate version, newest first (the gate combines them cell by cell). */
export function runsOfVersion(db: Database.Database, bisects: Bisects, library: string, version: string, limit: number): RunJson[] {
  const rows = db
    .prepare('SELECT id FROM runs WHERE library = ? AND (candidate_version = ? OR candidate = ?) ORDER BY created_at DESC, rowid DESC LIMIT ?')
    .all(library, version, version, limit) as Array<{ id: string }>;
  return rows.map((row) => runJson(db, bisects, row.id)).filter((run): run is RunJson => run !== undefined);
}

/** One consumer's verdicts across the library's candidate versions, newest first. */
export function consumerHistory(db: Database.Database, library: string, consumer: string): HistoryJson {
  return db
    .prepare(`SELECT r.id AS runId, r.candidate_version AS candidate, r.baseline_version AS baseline, c.backend AS backend, c.verdict AS verdict, r.created_at AS createdAt
      FROM cells c JOIN runs r ON r.id = c.run_id WHERE r.library = ? AND c.consumer = ? ORDER BY r.created_at DESC, c.backend`)
    .all(library, consumer) as HistoryJson;
}

export function runFields(row: RunRow): Omit<RunJson, 'cells'> {
  const meta = parseRunMeta(row.meta, row.id);
  const file = row.baseline_source === 'registry' ? meta.baselineFile : undefined;
  return {
    id: row.id,
    library: row.library,
    candidate: row.candidate,
    baseline: row.baseline,
    candidateVersion: row.candidate_version,
    baselineVersion: row.baseline_version,
    candidateSha: row.candidate_sha,
    // Runs stored before the registry fields kept the file's digest here: never shown as a commit.
    baselineSha: row.baseline_source === 'registry' || row.baseline_sha === '' ? null : row.baseline_sha,
    ...(file ? { baselineRegistry: { registry: file.registry, package: file.name, version: file.published, integrity: integrityOf(file) } } : {}),
    status: row.status,
    verdict: row.verdict,
    trigger: row.trigger,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    // Runs stored before the field count as own, as they did.
    ownBaseline: meta.ownBaseline !== false,
  };
}

/** Where a side's library came from, with what names a registry's file. */
type SideOrigin = Pick<SideSummary, 'source' | 'registry' | 'package' | 'version' | 'integrity'>;

function sideSummary(rows: SideSummaryRow[], side: Side, origin: SideOrigin): SideSummary {
  // The first attempt is the one shown; re-runs only confirm it.
  const row = rows.find((r) => r.side === side && r.attempt === 0);
  if (!row) return { ...EMPTY_SIDE, ...origin };
  return {
    status: row.status,
    ...origin,
    durationMs: row.duration_ms,
    tests: { passed: row.passed, failed: row.failed, skipped: row.skipped },
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.reused_from ? { reusedFrom: row.reused_from } : {}),
    ...(row.phases ? { phases: JSON.parse(row.phases) as Record<string, number> } : {}),
    ...(row.dropped ? { dropped: parseDropped(row.dropped, row.cell_id, side) } : {}),
  };
}

/** A list cut to what a run's JSON shows, with its full length. */
function shown(list: string[]): string[] {
  return list.length > RUN_JSON_IDS_MAX ? list.slice(0, RUN_JSON_IDS_MAX) : list;
}

function listsJson(newFailures: string[], fixedTests: string[]): Pick<CellJson, 'newFailures' | 'fixedTests' | 'newFailuresTotal' | 'fixedTestsTotal'> {
  // The totals only when a list was cut: a cell's JSON stays as it was for every ordinary cell.
  return {
    newFailures: shown(newFailures),
    fixedTests: shown(fixedTests),
    ...(newFailures.length > RUN_JSON_IDS_MAX ? { newFailuresTotal: newFailures.length } : {}),
    ...(fixedTests.length > RUN_JSON_IDS_MAX ? { fixedTestsTotal: fixedTests.length } : {}),
  };
}

function cellJson(runId: string, cell: Omit<CellRow, 'config'> & { quarantined?: string | null }, sides: SideSummaryRow[], sources: Record<Side, SideOrigin>): CellJson {
  // Most cells have no such tests: the empty list needs no parser (a run may have 10,000 cells).
  const ids = (json: string, field: string) => (json === '[]' ? [] : parseStringList(json, `run "${runId}" cell "${cell.id}" ${field}`));
  const attemptsSeen = sides.length === 0 ? 0 : Math.max(...sides.map((s) => s.attempt)) + 1;
  let verdict = cell.verdict;
  if (verdict === 'pending' && sides.some((s) => s.status === 'running' || s.status === 'passed' || s.status === 'failed')) verdict = 'running';
  return {
    id: cell.id,
    consumer: cell.consumer,
    backend: cell.backend,
    verdict,
    ...(cell.reason ? { reason: cell.reason } : {}),
    candidate: sideSummary(sides, 'candidate', sources.candidate),
    baseline: sideSummary(sides, 'baseline', sources.baseline),
    ...listsJson(ids(cell.new_failures, 'new_failures'), ids(cell.fixed_tests, 'fixed_tests')),
    attempts: Math.max(cell.attempts, attemptsSeen),
    ...(cell.quarantined ? { quarantined: parseQuarantined(cell.quarantined, `run "${runId}" cell "${cell.id}" quarantined`) } : {}),
    ...(cell.schema_changes ? { schemaChanges: parseSchemaChanges(cell.schema_changes, `run "${runId}" cell "${cell.id}" schema_changes`) } : {}),
  };
}
