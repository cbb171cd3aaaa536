/**
 * SQLite's schema, from sqlite_master and its PRAGMAs, read on the worker host from a copy of the
 * cell's database file (the file is the cell's: a link planted in its place is refused, and the copy
 * keeps the cell's own file as it was). Check constraints exist only in the CREATE TABLE text, and are
 * taken from there.
 */
import Database from 'better-sqlite3';
import { closeSync, constants, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RawSchema } from '../../common/schema/document.js';
import { SchemaReadError } from './rows.js';

/** A regular file's bytes, never through a symbolic link; null when there is none. */
function readOwnFile(file: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SchemaReadError(`cannot open ${path.basename(file)}: ${(error as Error).message}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new SchemaReadError(`${path.basename(file)} is not a regular file`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The CHECK (...) clauses of a CREATE TABLE, with their CONSTRAINT names; quoted text is skipped. */
export function checksOf(sql: string): Array<{ expression: string; name: string | null }> {
  const out: Array<{ expression: string; name: string | null }> = [];
  // Blank out string literals and quoted identifiers so a CHECK inside one is not taken for a clause.
  const masked = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]/g, (m) => m[0] + ' '.repeat(m.length - 2) + m[m.length - 1]);
  const re = /(?:\bCONSTRAINT\s+("(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|\w+)\s+)?\bCHECK\s*\(/gi;
  for (let match = re.exec(masked); match; match = re.exec(masked)) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < masked.length && depth > 0; i++) {
      if (masked[i] === '(') depth++;
      else if (masked[i] === ')') depth--;
    }
    out.push({ expression: `CHECK (${sql.slice(re.lastIndex, i - 1).trim()})`, name: match[1] ? sql.slice(match.index, match.index + match[0].length).replace(/^\s*CONSTRAINT\s+/i, '').replace(/\s+CHECK\s*\($/i, '') : null });
    re.lastIndex = i;
  }
  return out;
}

/** The predicate of a partial CREATE INDEX. */
function whereOf(sql: string | null): string | null {
  if (!sql) return null;
  const match = /\)\s*WHERE\s+([\s\S]+)$/i.exec(sql);
  return match ? match[1].trim() : null;
}

interface Master { type: string; name: string; tbl_name: string; sql: string | null }

export function readSqliteFile(file: string, scratchParent: string): RawSchema {
  const main = readOwnFile(file);
  const raw: RawSchema = { backend: 'sqlite', tables: [], columns: [], primaryKeys: [], uniques: [], indexes: [], foreignKeys: [], checks: [], views: [], sequences: [], enums: [] };
  // No file: the migrations made nothing (an empty schema), as a server's empty database would read.
  if (!main) return raw;
  const scratch = mkdtempSync(path.join(scratchParent, 'schema-'));
  try {
    const copy = path.join(scratch, 'db.sqlite');
    writeFileSync(copy, main);
    const wal = readOwnFile(`${file}-wal`);
    if (wal) writeFileSync(`${copy}-wal`, wal);
    const db = new Database(copy, { fileMustExist: true });
    try {
      // What the file's schema says is never run as trusted code while it is read.
      db.pragma('trusted_schema = OFF');
      const master = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name`).all() as Master[];
      const indexSql = new Map(master.filter((m) => m.type === 'index').map((m) => [m.name, m.sql]));
      for (const m of master) {
        if (m.type === 'view') raw.views.push({ name: m.name, definition: m.sql ?? '' });
        if (m.type !== 'table') continue;
        const table = m.name;
        raw.tables.push(table);
        const columns = db.prepare('SELECT name, type, "notnull" AS not_null, dflt_value, pk, hidden FROM pragma_table_xinfo(?)').all(table) as Array<{ name: string; type: string; not_null: number; dflt_value: string | null; pk: number; hidden: number }>;
        for (const c of columns) {
          raw.columns.push({ table, name: c.name, type: c.type, nullable: c.not_null === 0, default: c.dflt_value, collation: null, extra: c.hidden === 2 ? 'generated virtual' : c.hidden === 3 ? 'generated stored' : null });
        }
        const pk = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
        if (pk.length) raw.primaryKeys.push({ table, columns: pk });
        const list = db.prepare('SELECT name, "unique" AS uniq, origin, partial FROM pragma_index_list(?)').all(table) as Array<{ name: string; uniq: number; origin: string; partial: number }>;
        for (const ix of list) {
          if (ix.origin === 'pk') continue;
          const parts = db.prepare('SELECT seqno, name, "desc" AS descending, key FROM pragma_index_xinfo(?)').all(ix.name) as Array<{ seqno: number; name: string | null; descending: number; key: number }>;
          const cols = parts.filter((p) => p.key === 1).sort((a, b) => a.seqno - b.seqno).map((p) => `${p.name ?? '<expression>'}${p.descending ? ' DESC' : ''}`);
          if (ix.origin === 'u') raw.uniques.push({ table, columns: cols, name: ix.name, generatedName: true });
          else raw.indexes.push({ table, name: ix.name, generatedName: false, columns: cols, unique: ix.uniq === 1, where: ix.partial ? whereOf(indexSql.get(ix.name) ?? null) : null });
        }
        const fks = db.prepare('SELECT id, seq, "table" AS ref, "from" AS col, "to" AS refcol, on_update, on_delete FROM pragma_foreign_key_list(?)').all(table) as Array<{ id: number; seq: number; ref: string; col: string; refcol: string | null; on_update: string; on_delete: string }>;
        for (const id of [...new Set(fks.map((f) => f.id))]) {
          const parts = fks.filter((f) => f.id === id).sort((a, b) => a.seq - b.seq);
          raw.foreignKeys.push({ table, columns: parts.map((p) => p.col), refTable: parts[0].ref, refColumns: parts.map((p) => p.refcol ?? '(primary key)'), onDelete: parts[0].on_delete, onUpdate: parts[0].on_update });
        }
        for (const check of checksOf(m.sql ?? '')) raw.checks.push({ table, expression: check.expression, name: check.name, generatedName: check.name === null });
      }
    } finally {
      db.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return raw;
}
