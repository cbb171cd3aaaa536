/**
 * The commit-status outbox: one row per webhook-triggered run holding the state the forge should show
 * (`wanted`) and the last one it acknowledged (`sent`). A reporter sends whatever differs; a restart
 * finds the same rows, so a status decided just before a crash is still posted.
 */
import type Database from 'better-sqlite3';
import { parseRunMeta, type RunMeta } from './schema.js';

export type StatusState = 'pending' | 'success' | 'failure' | 'error';
export type Forge = 'github' | 'gitlab';

export interface StatusReportRow {
  run_id: string;
  forge: Forge;
  wanted: StatusState;
  sent: StatusState | null;
  attempts: number;
  next_attempt_at: number;
  gave_up: number;
  last_error: string | null;
  updated_at: string;
}

/** Reached as `store.statusReports`: the store owns the database handle. */
export class StatusReports {
  constructor(private readonly db: Database.Database) {}

  /**
   * Records the state a run's status should show. `pending` never replaces a final state (a late or
   * replayed "created" hook must not undo "finished"); a new state restarts the attempt count.
   */
  want(runId: string, forge: Forge, state: StatusState, now = Date.now()): void {
    this.db
      .prepare(`INSERT INTO status_reports (run_id, forge, wanted, attempts, next_attempt_at, gave_up, updated_at)
        VALUES (@runId, @forge, @state, 0, @now, 0, @iso)
        ON CONFLICT (run_id) DO UPDATE SET wanted = excluded.wanted, attempts = 0, next_attempt_at = excluded.next_attempt_at,
          gave_up = 0, last_error = NULL, updated_at = excluded.updated_at
        WHERE status_reports.wanted != excluded.wanted AND excluded.wanted != 'pending'`)
      .run({ runId, forge, state, now, iso: new Date(now).toISOString() });
  }

  /**
   * Sends the final state once more (its description changed: a bisect named the first bad commit).
   * Nothing to do while the final state is still unsent: the description is made when it is sent.
   */
  resend(runId: string, now = Date.now()): void {
    this.db
      .prepare(`UPDATE status_reports SET sent = NULL, attempts = 0, next_attempt_at = ?, gave_up = 0, last_error = NULL, updated_at = ?
        WHERE run_id = ? AND wanted != 'pending' AND sent = wanted`)
      .run(now, new Date(now).toISOString(), runId);
  }

  get(runId: string): StatusReportRow | undefined {
    return this.db.prepare('SELECT * FROM status_reports WHERE run_id = ?').get(runId) as StatusReportRow | undefined;
  }

  /** The next report to send (its state differs from what the forge has, and it is due), oldest first. */
  nextDue(now = Date.now()): StatusReportRow | undefined {
    return this.db
      .prepare(`SELECT * FROM status_reports WHERE gave_up = 0 AND (sent IS NULL OR sent != wanted) AND next_attempt_at <= ?
        ORDER BY next_attempt_at, rowid LIMIT 1`)
      .get(now) as StatusReportRow | undefined;
  }

  /** When the next report falls due, or null when nothing waits. */
  nextWakeAt(): number | null {
    const row = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS at FROM status_reports WHERE gave_up = 0 AND (sent IS NULL OR sent != wanted)`)
      .get() as { at: number | null };
    return row.at;
  }

  /** The forge has `state`; if the wanted state moved on meanwhile, the row stays due. */
  markSent(runId: string, state: StatusState): void {
    this.db
      .prepare('UPDATE status_reports SET sent = ?, last_error = NULL, updated_at = ? WHERE run_id = ? AND wanted = ?')
      .run(state, new Date().toISOString(), runId, state);
  }

  /** One more failed attempt at `state`; try again at `nextAttemptAt`, or give up. */
  markFailed(runId: string, state: StatusState, error: string, retryAt: number | null): void {
    this.db
      .prepare(`UPDATE status_reports SET attempts = attempts + 1, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at),
        gave_up = CASE WHEN ? IS NULL THEN 1 ELSE 0 END, updated_at = ? WHERE run_id = ? AND wanted = ?`)
      .run(error.slice(0, 500), retryAt, retryAt, new Date().toISOString(), runId, state);
  }

  /**
   * Webhook-triggered runs whose status is behind the store (the server stopped between the run's end
   * and recording its report, or before its "created" hook ran): recent ones only.
   */
  runsMissingReport(sinceIso: string): Array<{ id: string; meta: RunMeta }> {
    const rows = this.db
      .prepare(`SELECT r.id, r.meta FROM runs r LEFT JOIN status_reports s ON s.run_id = r.id
        WHERE r.trigger = 'webhook' AND r.created_at >= ? AND (s.run_id IS NULL OR (r.status = 'done' AND s.wanted = 'pending'))`)
      .all(sinceIso) as Array<{ id: string; meta: string }>;
    return rows.map((row) => ({ id: row.id, meta: parseRunMeta(row.meta, row.id) }));
  }
}
