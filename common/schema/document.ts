/**
 * The canonical schema of a cell's database (issue 19): what a consumer's migrations built, read from
 * the server's own catalogs (workers/schema/) and flattened into one map of object paths, so that two
 * reads of the same migrations give the same JSON, byte for byte, and a diff is a walk over keys.
 *
 * Paths: `table users`, `table users / column email`, `table users / primary key`,
 * `table users / unique (email)`, `table users / index ix_users_email` (or `index (email)` when the
 * server generated its name), `table users / foreign key (user_id)`, `table users / check (age > 0)`,
 * `view v`, `sequence s`, `enum mood`. Names the server generates (constraint names, OIDs) are kept out
 * of paths; where a generated name is kept at all it is a property, and marked `generatedName: true`.
 */
import { z } from 'zod';

export const SCHEMA_DOCUMENT_VERSION = 1;

const Json = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);
export const SchemaObject = z.record(z.string(), Json);
export type SchemaObject = z.infer<typeof SchemaObject>;

export const SchemaDocument = z.object({
  version: z.literal(SCHEMA_DOCUMENT_VERSION),
  backend: z.enum(['sqlite', 'mysql', 'postgres']),
  /** Object path -> its properties, keys sorted. */
  objects: z.record(z.string(), SchemaObject),
});
export type SchemaDocument = z.infer<typeof SchemaDocument>;

/** One kind of thing a reader finds, before it becomes paths. */
export interface RawIndex {
  table: string;
  name: string;
  /** The server made the name up (SQLite's autoindexes, MariaDB's column-named keys, `t_c_idx`). */
  generatedName: boolean;
  columns: string[];
  unique: boolean;
  /** A partial index's predicate, as the server prints it. */
  where: string | null;
  method?: string | null;
}

export interface RawSchema {
  backend: SchemaDocument['backend'];
  tables: string[];
  columns: Array<{ table: string; name: string; type: string; nullable: boolean; default: string | null; collation: string | null; extra?: string | null }>;
  primaryKeys: Array<{ table: string; columns: string[] }>;
  uniques: Array<{ table: string; columns: string[]; name: string | null; generatedName: boolean }>;
  indexes: RawIndex[];
  foreignKeys: Array<{ table: string; columns: string[]; refTable: string; refColumns: string[]; onDelete: string; onUpdate: string }>;
  checks: Array<{ table: string; expression: string; name: string | null; generatedName: boolean }>;
  views: Array<{ name: string; definition: string }>;
  sequences: Array<{ name: string; [key: string]: string | number | boolean | null }>;
  enums: Array<{ name: string; values: string[] }>;
}

const list = (columns: string[]) => `(${columns.join(', ')})`;
/** Whitespace runs as one space, none at the ends: how the server spaced a definition is no change. */
export const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

function sortedObject<T>(entries: Array<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = value;
  return out;
}

function clean(props: Record<string, z.infer<typeof Json> | undefined>): SchemaObject {
  return sortedObject(Object.entries(props).filter((e): e is [string, z.infer<typeof Json>] => e[1] !== undefined));
}

/** A raw read as the canonical document: paths, sorted; two objects on one path get `#2`, `#3`. */
export function canonicalSchema(raw: RawSchema): SchemaDocument {
  const entries: Array<[string, SchemaObject]> = [];
  const seen = new Map<string, number>();
  const add = (key: string, props: Record<string, z.infer<typeof Json> | undefined>) => {
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    entries.push([n === 1 ? key : `${key} #${n}`, clean(props)]);
  };
  for (const table of raw.tables) add(`table ${table}`, {});
  for (const c of raw.columns) {
    add(`table ${c.table} / column ${c.name}`, { type: c.type, nullable: c.nullable, default: c.default, collation: c.collation, ...(c.extra ? { extra: c.extra } : {}) });
  }
  for (const pk of raw.primaryKeys) add(`table ${pk.table} / primary key`, { columns: pk.columns });
  for (const u of raw.uniques) add(`table ${u.table} / unique ${list(u.columns)}`, { columns: u.columns, ...(u.name && !u.generatedName ? { name: u.name } : {}) });
  for (const ix of raw.indexes) {
    const key = ix.generatedName ? `index ${list(ix.columns)}` : `index ${ix.name}`;
    add(`table ${ix.table} / ${key}`, {
      columns: ix.columns,
      unique: ix.unique,
      where: ix.where === null ? null : squash(ix.where),
      ...(ix.generatedName ? { name: ix.name, generatedName: true } : {}),
      ...(ix.method ? { method: ix.method } : {}),
    });
  }
  for (const fk of raw.foreignKeys) {
    add(`table ${fk.table} / foreign key ${list(fk.columns)}`, { references: `${fk.refTable} ${list(fk.refColumns)}`, onDelete: fk.onDelete.toLowerCase(), onUpdate: fk.onUpdate.toLowerCase() });
  }
  for (const ck of raw.checks) add(`table ${ck.table} / check ${squash(ck.expression)}`, { ...(ck.name && !ck.generatedName ? { name: ck.name } : {}) });
  for (const v of raw.views) add(`view ${v.name}`, { definition: squash(v.definition) });
  for (const s of raw.sequences) {
    const { name, ...props } = s;
    add(`sequence ${name}`, props);
  }
  for (const e of raw.enums) add(`enum ${e.name}`, { values: e.values });
  return { version: SCHEMA_DOCUMENT_VERSION, backend: raw.backend, objects: sortedObject(entries) };
}
