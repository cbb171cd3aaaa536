/** A quarantine and when it ends (server/quarantine): shared by matrix.yaml's schema, the CLI and the server. */

/** One quarantine, as stored and listed (`GET /api/quarantine`, `compat quarantine list`). */
export interface QuarantineEntry {
  library: string;
  consumer: string;
  test: string;
  reason: string;
  /** When it stops applying, ISO 8601 (a date given alone lasts through that day, UTC). */
  until: string;
  /** Who added it: a token's name, or `matrix.yaml`. */
  by: string;
  source: 'api' | 'matrix';
  createdAt: string;
}

/** `GET /api/quarantine`: every quarantine, with whether it is in force now. */
export type QuarantineListJson = Array<QuarantineEntry & { active: boolean }>;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instant a `--until` value ends: `2026-12-31` is through that day (UTC), so the next day's first
 * instant; a full ISO 8601 timestamp is that instant. Null when it does not parse.
 */
export function untilInstant(text: string): string | null {
  const value = text.trim();
  if (DATE_ONLY.test(value)) {
    const day = new Date(`${value}T00:00:00.000Z`);
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) return null;
    return new Date(day.getTime() + 86_400_000).toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

export function isActive(entry: { until: string }, now: Date): boolean {
  return new Date(entry.until).getTime() > now.getTime();
}

