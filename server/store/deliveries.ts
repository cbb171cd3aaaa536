/**
 * Webhook deliveries: each delivery id (GitHub's X-GitHub-Delivery, GitLab's Idempotency-Key) is
 * claimed once and remembers what it led to, so a redelivery, even after a restart, answers the same.
 */
import type Database from 'better-sqlite3';

export type DeliveryOutcome = { runId: string } | { ignored: string };

export interface DeliveryRow {
  delivery_id: string;
  run_id: string | null;
  received_at: string;
  source: string | null;
  /** `run` or `ignored`; null while the first delivery is still being handled (or was cut short by a crash). */
  outcome: 'run' | 'ignored' | null;
  reason: string | null;
  library: string | null;
  tag: string | null;
}

/** Reached as `store.deliveries`: the store owns the database handle. */
export class Deliveries {
  constructor(private readonly db: Database.Database) {}

  /** Takes the delivery id; false if a row for it exists already. Atomic, so two racing deliveries get one true. */
  claim(id: string, source: string): boolean {
    const info = this.db
      .prepare('INSERT INTO deliveries (delivery_id, source, received_at) VALUES (?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING')
      .run(id, source, new Date().toISOString());
    return info.changes > 0;
  }

  get(id: string): DeliveryRow | undefined {
    return this.db.prepare('SELECT * FROM deliveries WHERE delivery_id = ?').get(id) as DeliveryRow | undefined;
  }

  /** What the delivery led to, once it was handled. */
  outcome(id: string): DeliveryOutcome | null {
    const row = this.get(id);
    if (row?.outcome === 'run' && row.run_id) return { runId: row.run_id };
    if (row?.outcome === 'ignored') return { ignored: row.reason ?? 'ignored' };
    return null;
  }

  finish(id: string, outcome: DeliveryOutcome, details: { library?: string; tag?: string } = {}): void {
    this.db
      .prepare('UPDATE deliveries SET outcome = ?, run_id = ?, reason = ?, library = ?, tag = ? WHERE delivery_id = ?')
      .run('runId' in outcome ? 'run' : 'ignored', 'runId' in outcome ? outcome.runId : null, 'ignored' in outcome ? outcome.ignored : null, details.library ?? null, details.tag ?? null, id);
  }

  /** Gives an unfinished claim back (the handling failed for a passing reason), so a redelivery is handled afresh. */
  release(id: string): void {
    this.db.prepare('DELETE FROM deliveries WHERE delivery_id = ? AND outcome IS NULL').run(id);
  }

  /** The run a delivery created, found through the run's meta: covers a crash between creating the run and finishing the claim. */
  runCreatedBy(id: string): string | null {
    const row = this.db
      .prepare(`SELECT id FROM runs WHERE trigger = 'webhook' AND json_extract(meta, '$.delivery') = ? ORDER BY created_at LIMIT 1`)
      .get(id) as { id: string } | undefined;
    return row?.id ?? null;
  }

  /** Webhook-triggered runs of this tag, newest first: a second event for the same tag (create, then push) joins the first's run. */
  webhookRunsOfTag(library: string, tag: string): Array<{ id: string; candidateSha: string }> {
    return this.db
      .prepare(`SELECT id, candidate_sha AS candidateSha FROM runs WHERE library = ? AND candidate = ? AND trigger = 'webhook' ORDER BY created_at DESC, rowid DESC LIMIT 5`)
      .all(library, tag) as Array<{ id: string; candidateSha: string }>;
  }

  /** Webhook-triggered runs of one pull request of a library, newest first: a new head cancels the unfinished ones. */
  webhookRunsOfPull(library: string, number: number): Array<{ id: string; candidateSha: string; status: string; verdict: string }> {
    return this.db
      .prepare(
        `SELECT id, candidate_sha AS candidateSha, status, verdict FROM runs WHERE library = ? AND trigger = 'webhook' AND json_extract(meta, '$.pull.number') = ? ORDER BY created_at DESC, rowid DESC LIMIT 50`,
      )
      .all(library, number) as Array<{ id: string; candidateSha: string; status: string; verdict: string }>;
  }
}
