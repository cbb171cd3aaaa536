/**
 * The schema diff of a cell (issue 19 item 3): the candidate's canonical document against the
 * baseline's, object by object. Pure, so each kind of change is tested without a database.
 */
import { z } from 'zod';
import { squash, SchemaObject, type SchemaDocument } from './document.js';

export const SchemaChange = z.object({
  /** The object's path, `table users / index ix_users_email`. */
  object: z.string(),
  change: z.enum(['added', 'removed', 'changed']),
  baseline: SchemaObject.nullable(),
  candidate: SchemaObject.nullable(),
});
export type SchemaChange = z.infer<typeof SchemaChange>;

/** How a side's reason starts when its migrate failed (workers/processors/side-verdict.ts). */
export const MIGRATE_FAILED = 'migrate failed';
/** How it starts when the round trip's downgrade, or the migrate after it, failed. */
export const ROUND_TRIP_FAILED = 'round trip failed: downgrade then migrate';
/** The prefix of a round trip's changes among a cell's schemaChanges: the first schema against the one after downgrade and migrate. */
export const ROUND_TRIP_OBJECT = 'round trip / ';

/** The object path of `sql:` output, diffed as one text. */
export const DDL_OBJECT = 'ddl (sql: output)';

/** The table a path belongs to, or null for a view, a sequence, an enum. */
function tableOf(path: string): string | null {
  const match = /^table (.+?)(?: \/ |$)/.exec(path);
  return match ? match[1] : null;
}

/**
 * Whether `ignore` leaves a path out: an entry names a table (that table and everything on it), or an
 * object path exactly (`view v`, `table users / index ix_tmp`).
 */
export function ignored(path: string, ignore: readonly string[]): boolean {
  const table = tableOf(path);
  return ignore.some((entry) => entry === path || entry === table || entry === `table ${table}` || path.startsWith(`${entry} / `));
}

function sameObject(a: SchemaObject, b: SchemaObject): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The changes from baseline to candidate, sorted by path. A table added or removed is one change: its
 * columns, keys and indexes went with it and are not listed again.
 */
export function diffSchemas(baseline: SchemaDocument, candidate: SchemaDocument, ignore: readonly string[] = []): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const paths = [...new Set([...Object.keys(baseline.objects), ...Object.keys(candidate.objects)])].filter((p) => !ignored(p, ignore)).sort();
  const goneTables = new Set<string>();
  for (const path of paths) {
    const b = baseline.objects[path];
    const c = candidate.objects[path];
    const table = tableOf(path);
    if (table !== null && path !== `table ${table}` && goneTables.has(table)) continue;
    if (b && c) {
      if (!sameObject(b, c)) changes.push({ object: path, change: 'changed', baseline: b, candidate: c });
      continue;
    }
    if (table !== null && path === `table ${table}`) goneTables.add(table);
    changes.push({ object: path, change: b ? 'removed' : 'added', baseline: b ?? null, candidate: c ?? null });
  }
  return changes;
}

/** `sql:` output with whitespace runs as one space, statement by statement (comments dropped). */
export function normaliseDdl(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n')
    .split(';')
    .map(squash)
    .filter(Boolean)
    .join(';\n');
}

/** The `sql:` outputs as one change when they differ once whitespace and comments are set aside. */
export function diffDdl(baseline: string | undefined, candidate: string | undefined): SchemaChange[] {
  if (baseline === undefined || candidate === undefined) return [];
  const b = normaliseDdl(baseline);
  const c = normaliseDdl(candidate);
  // Spaces beside punctuation are whitespace too (`( e text )` is `(e text)`); the texts shown keep them.
  const tight = (text: string) => text.replace(/\s*([(),;])\s*/g, '$1');
  return tight(b) === tight(c) ? [] : [{ object: DDL_OBJECT, change: 'changed', baseline: { text: b }, candidate: { text: c } }];
}

/** The reason a schema-differing cell gets, worded as CONTRACT has it (`schema differs: N changes`, 1 included). */
export function schemaReason(count: number): string {
  return `schema differs: ${count} changes`;
}
