/**
 * The SQLite reader on real SQLite files (made by the sqlite3 command-line shell, as a consumer's
 * migrations would make them): the same migrations give the same document, and each kind of change
 * SQLite has is found, and nothing else.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalSchema } from '../../common/schema/document.js';
import { diffSchemas } from '../../common/schema/diff.js';
import { checksOf, readSqliteFile } from './sqlite.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'schema-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The base migrations; `edit` swaps a piece of them, as a candidate's DDL builder would. */
function migrations(edit: (sql: string) => string = (s) => s): string {
  return edit(`
PRAGMA journal_mode = WAL;
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email VARCHAR(255) NOT NULL UNIQUE,
  age INTEGER DEFAULT 18 CHECK (age > 0),
  mood TEXT CHECK (mood IN ('happy', 'sad'))
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  total NUMERIC NOT NULL
);
CREATE INDEX ix_orders_user ON orders (user_id);
CREATE INDEX ix_orders_big ON orders (total) WHERE total > 100;
CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;
`);
}

let n = 0;
function migrated(edit?: (sql: string) => string) {
  const file = path.join(dir, `db${n++}.sqlite`);
  execFileSync('sqlite3', [file], { input: migrations(edit) });
  return canonicalSchema(readSqliteFile(file, dir));
}

const base = migrated();
const changesOf = (edit: (sql: string) => string) => diffSchemas(base, migrated(edit)).map((c) => [c.object, c.change]);

describe('SQLite schema reader', () => {
  it('reads the same document for the same migrations run twice', () => {
    expect(JSON.stringify(migrated())).toBe(JSON.stringify(base));
    expect(Object.keys(base.objects)).toEqual([
      'table orders',
      'table orders / column id',
      'table orders / column total',
      'table orders / column user_id',
      'table orders / foreign key (user_id)',
      'table orders / index ix_orders_big',
      'table orders / index ix_orders_user',
      'table orders / primary key',
      'table users',
      'table users / check CHECK (age > 0)',
      "table users / check CHECK (mood IN ('happy', 'sad'))",
      'table users / column age',
      'table users / column email',
      'table users / column id',
      'table users / column mood',
      'table users / primary key',
      'table users / unique (email)',
      'view adults',
    ]);
    expect(base.objects['table orders / index ix_orders_big']).toMatchObject({ columns: ['total'], unique: false, where: 'total > 100' });
    expect(base.objects['table orders / foreign key (user_id)']).toEqual({ onDelete: 'cascade', onUpdate: 'no action', references: 'users (id)' });
  });

  it("finds a column's type, nullability and default changed", () => {
    expect(changesOf((s) => s.replace('total NUMERIC NOT NULL', 'total REAL NOT NULL'))).toEqual([['table orders / column total', 'changed']]);
    expect(changesOf((s) => s.replace('total NUMERIC NOT NULL', 'total NUMERIC'))).toEqual([['table orders / column total', 'changed']]);
    expect(changesOf((s) => s.replace('DEFAULT 18', 'DEFAULT 21'))).toEqual([['table users / column age', 'changed']]);
  });

  it('finds a unique flag lost, an index lost and one made non-unique', () => {
    expect(changesOf((s) => s.replace('NOT NULL UNIQUE', 'NOT NULL'))).toEqual([['table users / unique (email)', 'removed']]);
    expect(changesOf((s) => s.replace('CREATE INDEX ix_orders_user ON orders (user_id);', ''))).toEqual([['table orders / index ix_orders_user', 'removed']]);
    const unique = migrated((s) => s.replace('CREATE INDEX ix_orders_user', 'CREATE UNIQUE INDEX ix_orders_user'));
    expect(diffSchemas(unique, base)).toMatchObject([{ object: 'table orders / index ix_orders_user', change: 'changed', baseline: { unique: true }, candidate: { unique: false } }]);
  });

  it("finds a foreign key's on-delete, a check constraint and an enum-like check changed", () => {
    expect(changesOf((s) => s.replace('ON DELETE CASCADE', 'ON DELETE SET NULL'))).toEqual([['table orders / foreign key (user_id)', 'changed']]);
    expect(changesOf((s) => s.replace('CHECK (age > 0)', 'CHECK (age >= 0)'))).toEqual([
      ['table users / check CHECK (age > 0)', 'removed'],
      ['table users / check CHECK (age >= 0)', 'added'],
    ]);
    expect(changesOf((s) => s.replace("('happy', 'sad')", "('happy', 'sad', 'meh')")).map((c) => c[1])).toEqual(['removed', 'added']);
  });

  it('reads a database still in WAL mode, and refuses a link in place of the file', () => {
    const file = path.join(dir, 'link.sqlite');
    symlinkSync(path.join(dir, 'db0.sqlite'), file);
    expect(() => readSqliteFile(file, dir)).toThrow(/cannot open link\.sqlite/);
    writeFileSync(path.join(dir, 'empty-dir-marker'), '');
    expect(canonicalSchema(readSqliteFile(path.join(dir, 'none.sqlite'), dir)).objects).toEqual({});
  });

  it('takes CHECK clauses from the CREATE TABLE text, never from inside a string', () => {
    expect(checksOf(`CREATE TABLE t (a TEXT DEFAULT 'CHECK (x)', b INT CONSTRAINT b_pos CHECK (b > (0)), CHECK (a <> 'y'))`)).toEqual([
      { expression: 'CHECK (b > (0))', name: 'b_pos' },
      { expression: "CHECK (a <> 'y')", name: null },
    ]);
  });
});
