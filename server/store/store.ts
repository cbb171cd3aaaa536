/**
 * The store: runs, cells, per-side results and per-test outcomes in one embedded SQLite file under the
 * data directory. Only the server writes it (results reach it through the queue). WAL mode, so readers
 * never block the writer and a kill -9 loses no committed result. The database handle never leaves
 * server/store/: callers use these methods and the tables' own classes (deliveries, statusReports,
 * apiTokens), and JSON columns come out parsed (schema.ts). The API's JSON of a run and a consumer's
 * history is built in run-json.ts; this class keeps the writes and the orchestrator's reads.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Backend, CellVerdict, RunStatus, RunVerdict, Side, SideSource, SideStatus, TestOutcome, Trigger } from '../../common/types.js';
import type { HistoryJson, RunJson, RunSummaryJson } from '../../common/wire.js';
import { CELL_VERDICTS } from '../../common/types.js';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import type { SideFacts, SideResultPayload } from '../../common/queue/jobs.js';
import { isFinished, type CellOutcome } from '../../common/verdict.js';
import { clusterFailures, shownClusters } from '../../common/clusters/cluster.js';
import { ApiTokens } from './api-tokens.js';
import { recordCauses, runNewFailures } from './clusters.js';
import { Quarantines } from './quarantines.js';
import { cellFlakeRates, flakeRates } from './flakes.js';
import type { FlakeRate, FlakeRateJson } from '../../common/flakes/rule.js';
import { Bisects } from './bisects.js';
import { Deliveries } from './deliveries.js';
import { MIGRATIONS } from './migrations.js';
import type { RunRow, SideRow } from './rows.js';
import { consumerHistory, RUN_JSON_IDS_MAX, runFields, runJson, runsOfVersion, runSummaries } from './run-json.js';
import { parseCellConfig, parseDropped, parseRunMeta, parseSchemaChanges, parseSideSchema, parseStringList, type RunMeta, type SideSchema } from './schema.js';
import type { SchemaChange } from '../../common/schema/diff.js';
import { StatusReports } from './status-reports.js';

export interface NewRun {
  id: string;
  library: string;
  candidate: string;
  baseline: string;
  candidateVersion: string;
  baselineVersion: string;
  candidateSha: string;
  /** null: the baseline is a registry's file (meta `baselineFile`), which has no commit. */
  baselineSha: string | null;
  trigger: Trigger;
  reruns: number;
  /** Where the baseline comes from: built from a tag, or the registry's published file. @defaultValue tag */
  baselineSource?: SideSource;
  /** Anything a trigger wants back when the run ends (e.g. the commit to post a status on). */
  meta?: RunMeta;
}

export interface NewCell {
  id: string;
  consumer: string;
  backend: Backend;
  /** The consumer's configuration at planning time: the job data of every attempt. */
  config: ResolvedConsumer;
}

export interface StoredSideResult extends SideResultPayload {
  runId: string;
  cellId: string;
  side: Side;
  attempt: number;
  /** The worker that ended the side (older messages lack it: the one that started it stays shown). */
  worker?: string;
  /** What a later run's baseline may find this result by (fresh baseline results only). */
  reuseKey?: string | null;
}

/** A result a later baseline may reuse: where it is and what it ran with. */
export interface ReusableSide {
  runId: string;
  cellId: string;
  facts: SideFacts;
}

/** A run's own fields as stored, without its cells: what the orchestrator drives the run from. */
export interface StoredRun extends Omit<RunJson, 'cells'> {
  reruns: number;
  meta: RunMeta;
}

/**
 * Every `db.prepare(sql)` of the store returns one statement per SQL text, compiled once: the server
 * applies hundreds of results a second, and compiling their statements each time was a tenth of it.
 * Safe because no caller iterates a statement while reusing it, and those that read rows as arrays
 * (raw) are the only users of their SQL and set the mode on every use.
 */
function cacheStatements(db: Database.Database): void {
  const compile = db.prepare.bind(db);
  const compiled = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = compiled.get(sql);
    if (!statement) compiled.set(sql, (statement = compile(sql)));
    return statement;
  }) as typeof db.prepare;
}

export class Store {
  private readonly db: Database.Database;
  /** Webhook deliveries claimed and what they led to. */
  readonly deliveries: Deliveries;
  /** The commit-status outbox. */
  readonly statusReports: StatusReports;
  /** API token hashes. */
  readonly apiTokens: ApiTokens;
  /** Bisects of confirmed regressions, their steps and builds. */
  readonly bisects: Bisects;
  /** Quarantined tests (server/quarantine). */
  readonly quarantines: Quarantines;

  constructor(file: string, options: { readonly?: boolean } = {}) {
    if (!options.readonly) mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    this.db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash; only an OS crash could lose the last commit.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    }
    this.deliveries = new Deliveries(this.db);
    this.statusReports = new StatusReports(this.db);
    this.apiTokens = new ApiTokens(this.db);
    // A read-only look (the CLI without a server) at a store no server of this version has migrated yet.
    const bisectsTable = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bisects'`).get();
    this.bisects = new Bisects(this.db, Boolean(bisectsTable));
    this.quarantines = new Quarantines(this.db);
    cacheStatements(this.db);
  }

  static fileIn(dataDir: string): string {
    return path.join(dataDir, 'store.sqlite');
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i]);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  /** Throws unless the database answers a query (readiness). */
  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  /** Runs `fn` in one transaction: all of its writes land, or none (better-sqlite3 transactions are synchronous). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  insertRun(run: NewRun, cells: NewCell[]): void {
    const insertRun = this.db.prepare(`INSERT INTO runs (id, library, candidate, baseline, candidate_version, baseline_version,
      candidate_sha, baseline_sha, status, verdict, trigger, reruns, meta, baseline_source, created_at)
      VALUES (@id, @library, @candidate, @baseline, @candidateVersion, @baselineVersion, @candidateSha, @baselineSha,
      'queued', 'pending', @trigger, @reruns, @meta, @baselineSource, @createdAt)`);
    const insertCell = this.db.prepare(`INSERT INTO cells (run_id, id, consumer, backend, verdict, attempts, new_failures, fixed_tests, config)
      VALUES (?, ?, ?, ?, 'pending', 0, '[]', '[]', ?)`);
    this.db.transaction(() => {
      insertRun.run({ ...run, baselineSha: run.baselineSha ?? '', baselineSource: run.baselineSource ?? 'tag', meta: JSON.stringify(run.meta ?? {}), createdAt: new Date().toISOString() });
      for (const cell of cells) insertCell.run(run.id, cell.id, cell.consumer, cell.backend, JSON.stringify(cell.config));
    })();
  }

  private runRow(id: string): RunRow | undefined {
    return this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  }

  /** A run's own fields and parsed meta, without its cells. */
  runRecord(id: string): StoredRun | undefined {
    const row = this.runRow(id);
    return row ? { ...runFields(row), reruns: row.reruns, meta: parseRunMeta(row.meta, row.id) } : undefined;
  }

  runMeta(id: string): RunMeta | undefined {
    const row = this.db.prepare('SELECT meta FROM runs WHERE id = ?').get(id) as { meta: string } | undefined;
    return row ? parseRunMeta(row.meta, id) : undefined;
  }

  setRunState(id: string, status: RunStatus, verdict: RunVerdict): void {
    this.db
      .prepare(`UPDATE runs SET status = ?, verdict = ?, finished_at = CASE WHEN ? = 'done' THEN COALESCE(finished_at, ?) ELSE NULL END WHERE id = ?`)
      .run(status, verdict, status, new Date().toISOString(), id);
  }

  /**
   * Ends a run as cancelled, in one transaction: `done`/`cancelled`, the request kept in its meta
   * (`cancel`, cleaned up later by the orchestrator), sides still running ended as `error`. The cancel
   * is what survives a restart: a done run is never resumed. `unknown` / `finished` change nothing.
   */
  cancelRun(id: string, by: string | null): 'cancelled' | 'unknown' | 'finished' {
    return this.db.transaction(() => {
      const row = this.runRow(id);
      if (!row) return 'unknown' as const;
      if (row.status === 'done') return 'finished' as const;
      const now = new Date().toISOString();
      const meta = { ...parseRunMeta(row.meta, id), cancel: { at: now, ...(by ? { by } : {}), cleaned: false } };
      this.db.prepare(`UPDATE runs SET status = 'done', verdict = 'cancelled', finished_at = ?, meta = ? WHERE id = ?`).run(now, JSON.stringify(meta), id);
      this.db
        .prepare(`UPDATE side_results SET status = 'error', reason = 'run cancelled', finished_at = ? WHERE run_id = ? AND status IN ('pending', 'running')`)
        .run(now, id);
      return 'cancelled' as const;
    })();
  }

  /** Cancelled runs whose queued jobs and running containers may not all be gone yet (a restart mid-cancel). */
  cancelsToClean(): string[] {
    const rows = this.db.prepare(`SELECT id, meta FROM runs WHERE verdict = 'cancelled'`).all() as Array<{ id: string; meta: string }>;
    return rows.filter((r) => parseRunMeta(r.meta, r.id).cancel?.cleaned === false).map((r) => r.id);
  }

  markCancelCleaned(id: string): void {
    this.db.transaction(() => {
      const meta = this.runMeta(id);
      if (!meta?.cancel) return;
      this.db.prepare('UPDATE runs SET meta = ? WHERE id = ?').run(JSON.stringify({ ...meta, cancel: { ...meta.cancel, cleaned: true } }), id);
    })();
  }

  cellConfig(runId: string, cellId: string): ResolvedConsumer | undefined {
    const row = this.db.prepare('SELECT config FROM cells WHERE run_id = ? AND id = ?').get(runId, cellId) as { config: string } | undefined;
    return row ? parseCellConfig(row.config, runId, cellId) : undefined;
  }

  cellIds(runId: string): string[] {
    return (this.db.prepare('SELECT id FROM cells WHERE run_id = ? ORDER BY id').all(runId) as Array<{ id: string }>).map((r) => r.id);
  }

  /** One consumer's cells and their verdicts (as decided; a cheap look without the sides). */
  consumerVerdicts(runId: string, consumer: string): Array<{ id: string; verdict: CellVerdict }> {
    return this.db.prepare('SELECT id, verdict FROM cells WHERE run_id = ? AND consumer = ?').all(runId, consumer) as Array<{ id: string; verdict: CellVerdict }>;
  }

  setCellDecision(runId: string, cellId: string, verdict: CellVerdict, attempts: number, newFailures: string[], fixedTests: string[], reason?: string, schemaChanges: SchemaChange[] = []): void {
    this.db
      .prepare('UPDATE cells SET verdict = ?, attempts = ?, new_failures = ?, fixed_tests = ?, reason = ?, schema_changes = ? WHERE run_id = ? AND id = ?')
      .run(verdict, attempts, JSON.stringify(newFailures), JSON.stringify(fixedTests), reason ?? null, schemaChanges.length ? JSON.stringify(schemaChanges) : null, runId, cellId);
  }

  /** A cell's schema diff as decided (empty without `schema:` or when nothing changed). */
  schemaChangesOf(runId: string, cellId: string): SchemaChange[] {
    const row = this.db.prepare('SELECT schema_changes FROM cells WHERE run_id = ? AND id = ?').get(runId, cellId) as { schema_changes: string | null } | undefined;
    return row?.schema_changes ? parseSchemaChanges(row.schema_changes, `run "${runId}" cell "${cellId}" schema_changes`) : [];
  }

  /** The schema a side's migrations built, if it has one. */
  sideSchema(runId: string, cellId: string, side: Side, attempt: number): SideSchema | undefined {
    const row = this.db.prepare('SELECT schema FROM side_results WHERE run_id = ? AND cell_id = ? AND side = ? AND attempt = ?').get(runId, cellId, side, attempt) as { schema: string | null } | undefined;
    return row?.schema ? parseSideSchema(row.schema, `run "${runId}" cell "${cellId}" ${side} ${attempt} schema`) : undefined;
  }

  /** Marks a side as started unless a result for it is already in (a late "started" never undoes a result). */
  markSideRunning(runId: string, cellId: string, side: Side, attempt: number, worker: string): void {
    this.db
      .prepare(`INSERT INTO side_results (run_id, cell_id, side, attempt, status, worker, started_at) VALUES (?, ?, ?, ?, 'running', ?, ?)
        ON CONFLICT (run_id, cell_id, side, attempt) DO UPDATE SET worker = excluded.worker, started_at = excluded.started_at
        WHERE side_results.status IN ('pending', 'running')`)
      .run(runId, cellId, side, attempt, worker, new Date().toISOString());
  }

  /** Records a side's result and its tests, once: a redelivered result changes nothing. Returns false if already recorded. */
  recordSideResult(result: StoredSideResult): boolean {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const test of result.tests) counts[test.status]++;
    return this.db.transaction(() => {
      const existing = this.db
        .prepare('SELECT status FROM side_results WHERE run_id = ? AND cell_id = ? AND side = ? AND attempt = ?')
        .get(result.runId, result.cellId, result.side, result.attempt) as { status: SideStatus } | undefined;
      if (existing && isFinished(existing.status)) return false;
      this.db
        .prepare(`INSERT INTO side_results (run_id, cell_id, side, attempt, status, worker, duration_ms, overhead_ms, passed, failed, skipped, reason, exit_code,
          phases, facts, reuse_key, reused_from, dropped, schema, finished_at)
          VALUES (@runId, @cellId, @side, @attempt, @status, @worker, @durationMs, @overheadMs, @passed, @failed, @skipped, @reason, @exitCode,
          @phases, @facts, @reuseKey, @reusedFrom, @dropped, @schema, @finishedAt)
          ON CONFLICT (run_id, cell_id, side, attempt) DO UPDATE SET status = excluded.status, worker = COALESCE(excluded.worker, side_results.worker),
          duration_ms = excluded.duration_ms,
          overhead_ms = excluded.overhead_ms, passed = excluded.passed, failed = excluded.failed, skipped = excluded.skipped,
          reason = excluded.reason, exit_code = excluded.exit_code, phases = excluded.phases, facts = excluded.facts,
          reuse_key = excluded.reuse_key, reused_from = excluded.reused_from, dropped = excluded.dropped, schema = excluded.schema, finished_at = excluded.finished_at`)
        .run({
          runId: result.runId,
          cellId: result.cellId,
          side: result.side,
          attempt: result.attempt,
          status: result.status,
          worker: result.worker ?? null,
          durationMs: result.durationMs,
          ...counts,
          reason: result.reason ?? null,
          exitCode: result.exitCode ?? null,
          overheadMs: result.overheadMs,
          phases: result.phases ? JSON.stringify(result.phases) : null,
          facts: result.facts ? JSON.stringify(result.facts) : null,
          reuseKey: result.reuseKey ?? null,
          reusedFrom: result.reusedFrom ?? null,
          dropped: result.dropped ? JSON.stringify(result.dropped) : null,
          schema: result.schema ? JSON.stringify(result.schema) : null,
          finishedAt: new Date().toISOString(),
        });
      const insertTest = this.db.prepare(
        'INSERT OR REPLACE INTO test_outcomes (run_id, cell_id, side, attempt, test_id, status, message, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const test of result.tests) {
        insertTest.run(result.runId, result.cellId, result.side, result.attempt, test.id, test.status, test.message ?? null, test.durationMs ?? null);
      }
      if (result.side === 'candidate' && result.attempt === 0) recordCauses(this.db, result.runId, result.cellId, result.tests);
      return true;
    })();
  }

  sideStatuses(runId: string, cellId: string): Array<{ side: Side; attempt: number; status: SideStatus }> {
    return this.db
      .prepare('SELECT side, attempt, status FROM side_results WHERE run_id = ? AND cell_id = ? ORDER BY attempt')
      .all(runId, cellId) as Array<{ side: Side; attempt: number; status: SideStatus }>;
  }

  testsOf(runId: string, cellId: string, side: Side, attempt: number): TestOutcome[] {
    const rows = this.db
      .prepare('SELECT test_id, status, message, duration_ms FROM test_outcomes WHERE run_id = ? AND cell_id = ? AND side = ? AND attempt = ? ORDER BY test_id')
      .all(runId, cellId, side, attempt) as Array<{ test_id: string; status: TestOutcome['status']; message: string | null; duration_ms: number | null }>;
    return rows.map((r) => ({ id: r.test_id, status: r.status, message: r.message ?? undefined, durationMs: r.duration_ms ?? undefined }));
  }

  recordBuild(runId: string, side: Side, ok: boolean, reason: string | null, artifactKey: string | null, durationMs: number, artifactDigest: string | null = null): boolean {
    const info = this.db
      .prepare(`INSERT INTO builds (run_id, side, status, reason, artifact_key, duration_ms, artifact_digest) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, side) DO NOTHING`)
      .run(runId, side, ok ? 'ok' : 'failed', reason, artifactKey, durationMs, artifactDigest);
    return info.changes > 0;
  }

  build(runId: string, side: Side): { status: 'ok' | 'failed'; reason: string | null; artifact_key: string | null; artifact_digest: string | null } | undefined {
    return this.db.prepare('SELECT status, reason, artifact_key, artifact_digest FROM builds WHERE run_id = ? AND side = ?').get(runId, side) as
      | { status: 'ok' | 'failed'; reason: string | null; artifact_key: string | null; artifact_digest: string | null }
      | undefined;
  }

  /**
   * The newest result run (not itself reused) under this reuse key since `sinceIso` that ended in a test
   * outcome, with what it ran with; null if none.
   */
  reusableSide(reuseKey: string, sinceIso: string): ReusableSide | null {
    const row = this.db
      .prepare(`SELECT run_id, cell_id, facts FROM side_results WHERE reuse_key = ? AND reused_from IS NULL AND attempt = 0
        AND status IN ('passed', 'failed') AND facts IS NOT NULL AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1`)
      .get(reuseKey, sinceIso) as { run_id: string; cell_id: string; facts: string } | undefined;
    return row ? { runId: row.run_id, cellId: row.cell_id, facts: JSON.parse(row.facts) as SideFacts } : null;
  }

  /** One stored side result, as it was recorded (for copying it into a run that reuses it). */
  sideResult(runId: string, cellId: string, side: Side, attempt: number): StoredSideResult | undefined {
    const row = this.db.prepare('SELECT * FROM side_results WHERE run_id = ? AND cell_id = ? AND side = ? AND attempt = ?').get(runId, cellId, side, attempt) as
      | SideRow
      | undefined;
    if (!row || row.status === 'running' || row.status === 'pending') return undefined;
    return {
      runId,
      cellId,
      side,
      attempt,
      status: row.status,
      durationMs: row.duration_ms ?? 0,
      overheadMs: row.overhead_ms,
      tests: this.testsOf(runId, cellId, side, attempt),
      ...(row.reason ? { reason: row.reason } : {}),
      exitCode: row.exit_code,
      ...(row.phases ? { phases: JSON.parse(row.phases) as Record<string, number> } : {}),
      ...(row.facts ? { facts: JSON.parse(row.facts) as SideFacts } : {}),
      reuseKey: row.reuse_key,
      ...(row.reused_from ? { reusedFrom: row.reused_from } : {}),
      ...(row.dropped ? { dropped: parseDropped(row.dropped, runId, cellId) } : {}),
      ...(row.schema ? { schema: parseSideSchema(row.schema, `run "${runId}" cell "${cellId}" ${side} ${attempt} schema`) } : {}),
    };
  }

  /**
   * The run's cell outcomes, each kind once (what decideRun needs): every verdict some cell has, and
   * the cells with a reason. Index seeks, however many cells.
   */
  cellOutcomesPresent(runId: string): CellOutcome[] {
    const exists = this.db.prepare('SELECT 1 FROM cells WHERE run_id = ? AND verdict = ? LIMIT 1');
    const outcomes: CellOutcome[] = CELL_VERDICTS.filter((verdict) => exists.get(runId, verdict) !== undefined).map((verdict) => ({ verdict }));
    const withReason = this.db.prepare('SELECT DISTINCT verdict, reason FROM cells WHERE run_id = ? AND reason IS NOT NULL').all(runId) as Array<{ verdict: CellVerdict; reason: string }>;
    return [...outcomes, ...withReason];
  }

  /** Whether a worker has started (or finished with tests) any side of the run: a cell shown as running. */
  anySideStarted(runId: string): boolean {
    return this.db.prepare(`SELECT 1 FROM side_results WHERE run_id = ? AND status IN ('running', 'passed', 'failed') LIMIT 1`).get(runId) !== undefined;
  }

  /** How many runs are in each status (queued, running, done). */
  runCountsByStatus(): Record<string, number> {
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM runs GROUP BY status').all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** Runs that are not done: what the server resumes after a restart. */
  unfinishedRunIds(): string[] {
    return (this.db.prepare(`SELECT id FROM runs WHERE status != 'done' ORDER BY created_at`).all() as Array<{ id: string }>).map((r) => r.id);
  }

  /** Where and when each side of a run's cells ran, every attempt (placement and fairness are read from it). */
  sidePlacements(runId: string): Array<{ cellId: string; side: Side; attempt: number; status: SideStatus; worker: string | null; startedAt: string | null; finishedAt: string | null }> {
    return this.db
      .prepare('SELECT cell_id AS cellId, side, attempt, status, worker, started_at AS startedAt, finished_at AS finishedAt FROM side_results WHERE run_id = ? ORDER BY cell_id, side, attempt')
      .all(runId) as Array<{ cellId: string; side: Side; attempt: number; status: SideStatus; worker: string | null; startedAt: string | null; finishedAt: string | null }>;
  }

  /** Each side's timings of a run's cells, every attempt (the pipeline benchmark's overhead figures). */
  sideTimings(runId: string): Array<{ cellId: string; side: Side; attempt: number; durationMs: number | null; overheadMs: number | null }> {
    return this.db
      .prepare('SELECT cell_id AS cellId, side, attempt, duration_ms AS durationMs, overhead_ms AS overheadMs FROM side_results WHERE run_id = ? ORDER BY cell_id, side, attempt')
      .all(runId) as Array<{ cellId: string; side: Side; attempt: number; durationMs: number | null; overheadMs: number | null }>;
  }

  /** A cell's full newFailures and fixedTests (a run's JSON shows only the first RUN_JSON_IDS_MAX of each), or undefined. */
  cellLists(runId: string, cellId: string): { newFailures: string[]; fixedTests: string[] } | undefined {
    const row = this.db.prepare('SELECT new_failures, fixed_tests FROM cells WHERE run_id = ? AND id = ?').get(runId, cellId) as
      | { new_failures: string; fixed_tests: string }
      | undefined;
    if (!row) return undefined;
    const where = `run "${runId}" cell "${cellId}"`;
    return { newFailures: parseStringList(row.new_failures, `${where} new_failures`), fixedTests: parseStringList(row.fixed_tests, `${where} fixed_tests`) };
  }

  /** The run with its cells; each cell's id lists cut to the first RUN_JSON_IDS_MAX ({@link cellLists} has them all). */
  getRun(id: string): RunJson | undefined {
    return runJson(this.db, this.bisects, id);
  }

  /**
   * The run with its new failures grouped by cause (`clusters`), as its page, `compat report` and the
   * commit status show it; getRun without them for the orchestrator's many reads.
   */
  getRunWithClusters(id: string): RunJson | undefined {
    const run = this.getRun(id);
    if (!run) return undefined;
    return { ...run, ...shownClusters(clusterFailures(runNewFailures(this.db, id, [run.library]), [run.library]), RUN_JSON_IDS_MAX) };
  }

  /** Measured flake rates from calibration runs (server/store/flakes.ts). */
  flakeRates(filter: { library: string; consumer?: string; cell?: string }): FlakeRateJson[] {
    return flakeRates(this.db, filter);
  }

  cellFlakeRates(library: string, cell: string): Map<string, FlakeRate> {
    return cellFlakeRates(this.db, library, cell);
  }

  listRuns(options: { library?: string; limit?: number } = {}): RunSummaryJson[] {
    return runSummaries(this.db, options);
  }

  /** The runs of one candidate version, newest first (the gate combines them cell by cell). */
  runsFor(library: string, version: string, limit = 50): RunJson[] {
    return runsOfVersion(this.db, this.bisects, library, version, limit);
  }

  /** One consumer's verdicts across the library's candidate versions, newest first. */
  consumerHistory(library: string, consumer: string): HistoryJson {
    return consumerHistory(this.db, library, consumer);
  }
}
