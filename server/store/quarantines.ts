/**
 * Quarantined tests in the store: those added through the API (`compat quarantine add`) and those
 * matrix.yaml lists (replaced as a whole each time a run of the library is planned), one row per
 * library, consumer, test and source.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { QuarantinedTest } from '../../common/types.js';
import { isActive, type QuarantineEntry } from '../../common/quarantine/entry.js';
import { parseJson } from './schema.js';

interface Row {
  library: string;
  consumer: string;
  test_id: string;
  source: 'api' | 'matrix';
  reason: string;
  until: string;
  created_by: string;
  created_at: string;
}

const entryOf = (r: Row): QuarantineEntry => ({
  library: r.library,
  consumer: r.consumer,
  test: r.test_id,
  reason: r.reason,
  until: r.until,
  by: r.created_by,
  source: r.source,
  createdAt: r.created_at,
});

const QuarantinedList = z.array(z.object({ test: z.string(), reason: z.string(), until: z.string(), by: z.string() }));

export class Quarantines {
  constructor(private readonly db: Database.Database) {}

  /** Adds or replaces the API's quarantine of one test. */
  add(entry: Omit<QuarantineEntry, 'source' | 'createdAt'>): QuarantineEntry {
    const createdAt = new Date().toISOString();
    this.db
      .prepare(`INSERT OR REPLACE INTO quarantines (library, consumer, test_id, source, reason, until, created_by, created_at) VALUES (?, ?, ?, 'api', ?, ?, ?, ?)`)
      .run(entry.library, entry.consumer, entry.test, entry.reason, entry.until, entry.by, createdAt);
    return { ...entry, source: 'api', createdAt };
  }

  /** Removes the API's quarantine of one test; false if there was none (matrix.yaml's stay until edited out). */
  remove(library: string, consumer: string, test: string): boolean {
    return this.db.prepare(`DELETE FROM quarantines WHERE library = ? AND consumer = ? AND test_id = ? AND source = 'api'`).run(library, consumer, test).changes > 0;
  }

  /** Makes matrix.yaml's entries of a library exactly `entries`. */
  syncMatrix(library: string, entries: Array<{ consumer: string; test: string; reason: string; until: string }>): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM quarantines WHERE library = ? AND source = 'matrix'`).run(library);
      const insert = this.db.prepare(
        `INSERT OR REPLACE INTO quarantines (library, consumer, test_id, source, reason, until, created_by, created_at) VALUES (?, ?, ?, 'matrix', ?, ?, 'matrix.yaml', ?)`,
      );
      const now = new Date().toISOString();
      for (const e of entries) insert.run(library, e.consumer, e.test, e.reason, e.until, now);
    })();
  }

  /** Every quarantine, expired ones included (they show as such), of a library or all. */
  list(filter: { library?: string; consumer?: string } = {}): QuarantineEntry[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM quarantines WHERE (@library IS NULL OR library = @library) AND (@consumer IS NULL OR consumer = @consumer) ORDER BY library, consumer, test_id, source`,
      )
      .all({ library: filter.library ?? null, consumer: filter.consumer ?? null }) as Row[];
    return rows.map(entryOf);
  }

  /** The quarantines in force at `now` for one consumer; with both sources, the one lasting longer. */
  active(library: string, consumer: string, now: Date): QuarantineEntry[] {
    const byTest = new Map<string, QuarantineEntry>();
    for (const entry of this.list({ library, consumer })) {
      if (!isActive(entry, now)) continue;
      const seen = byTest.get(entry.test);
      if (!seen || entry.until > seen.until) byTest.set(entry.test, entry);
    }
    return [...byTest.values()];
  }

  setCellQuarantined(runId: string, cellId: string, tests: QuarantinedTest[]): void {
    this.db.prepare('UPDATE cells SET quarantined = ? WHERE run_id = ? AND id = ?').run(tests.length ? JSON.stringify(tests) : null, runId, cellId);
  }
}

export function parseQuarantined(json: string, where: string): QuarantinedTest[] {
  return parseJson(QuarantinedList, json, where);
}
