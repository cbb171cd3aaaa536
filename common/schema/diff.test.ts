import { describe, expect, it } from 'vitest';
import { canonicalSchema, type RawSchema } from './document.js';
import { diffDdl, diffSchemas, DDL_OBJECT, ignored, schemaReason } from './diff.js';

/** A small schema as a reader would find it: users (unique email, a check), orders (FK to users), a view, an enum. */
function raw(edit: (r: RawSchema) => void = () => undefined): RawSchema {
  const r: RawSchema = {
    backend: 'postgres',
    tables: ['orders', 'users', 'alembic_version'],
    columns: [
      { table: 'users', name: 'id', type: 'integer', nullable: false, default: null, collation: null },
      { table: 'users', name: 'email', type: 'character varying(255)', nullable: false, default: null, collation: null },
      { table: 'users', name: 'age', type: 'integer', nullable: true, default: '18', collation: null },
      { table: 'orders', name: 'id', type: 'integer', nullable: false, default: null, collation: null },
      { table: 'orders', name: 'user_id', type: 'integer', nullable: false, default: null, collation: null },
      { table: 'alembic_version', name: 'version_num', type: 'character varying(32)', nullable: false, default: null, collation: null },
    ],
    primaryKeys: [{ table: 'users', columns: ['id'] }, { table: 'orders', columns: ['id'] }],
    uniques: [],
    indexes: [
      { table: 'users', name: 'ix_users_email', generatedName: false, columns: ['email'], unique: true, where: null },
      { table: 'orders', name: 'orders_user_id_idx', generatedName: true, columns: ['user_id'], unique: false, where: 'user_id  >  0' },
    ],
    foreignKeys: [{ table: 'orders', columns: ['user_id'], refTable: 'users', refColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' }],
    checks: [{ table: 'users', expression: 'CHECK ((age > 0))', name: 'users_age_check', generatedName: true }],
    views: [{ name: 'adults', definition: 'SELECT id\n  FROM users WHERE age >= 18' }],
    sequences: [{ name: 'users_id_seq', type: 'integer', start: 1, increment: 1 }],
    enums: [{ name: 'mood', values: ['happy', 'sad'] }],
  };
  edit(r);
  return r;
}

const diff = (edit: (r: RawSchema) => void, ignore: string[] = []) => diffSchemas(canonicalSchema(raw()), canonicalSchema(raw(edit)), ignore);
const column = (r: RawSchema, table: string, name: string) => r.columns.find((c) => c.table === table && c.name === name)!;

describe('canonical schema document', () => {
  it('is the same JSON whatever order the reader found things in, and leaves generated names out of paths', () => {
    const shuffled = raw((r) => {
      r.tables.reverse();
      r.columns.reverse();
      r.indexes.reverse();
    });
    expect(JSON.stringify(canonicalSchema(shuffled))).toBe(JSON.stringify(canonicalSchema(raw())));
    const doc = canonicalSchema(raw());
    expect(Object.keys(doc.objects)).toContain('table orders / index (user_id)');
    expect(doc.objects['table orders / index (user_id)']).toMatchObject({ name: 'orders_user_id_idx', generatedName: true, where: 'user_id > 0' });
    expect(Object.keys(doc.objects)).toContain('table users / check CHECK ((age > 0))');
    expect(doc.objects['table users / check CHECK ((age > 0))']).toEqual({});
  });
});

describe('schema diff', () => {
  it('finds nothing between two reads of the same migrations', () => {
    expect(diff(() => undefined)).toEqual([]);
  });

  it("finds a column's type, nullability, default and collation changed", () => {
    expect(diff((r) => (column(r, 'users', 'email').type = 'text')).map((c) => [c.object, c.change])).toEqual([['table users / column email', 'changed']]);
    const [nullability] = diff((r) => (column(r, 'users', 'email').nullable = true));
    expect(nullability).toMatchObject({ object: 'table users / column email', baseline: { nullable: false }, candidate: { nullable: true } });
    expect(diff((r) => (column(r, 'users', 'age').default = null))[0]).toMatchObject({ change: 'changed', baseline: { default: '18' }, candidate: { default: null } });
    expect(diff((r) => (column(r, 'users', 'email').collation = 'C'))).toHaveLength(1);
  });

  it('finds a column added and a column removed', () => {
    expect(diff((r) => r.columns.push({ table: 'users', name: 'name', type: 'text', nullable: true, default: null, collation: null }))).toEqual([
      { object: 'table users / column name', change: 'added', baseline: null, candidate: { collation: null, default: null, nullable: true, type: 'text' } },
    ]);
    expect(diff((r) => (r.columns = r.columns.filter((c) => c.name !== 'age'))).map((c) => [c.object, c.change])).toEqual([['table users / column age', 'removed']]);
  });

  it('finds an index lost, and one made non-unique', () => {
    expect(diff((r) => r.indexes.shift()).map((c) => [c.object, c.change])).toEqual([['table users / index ix_users_email', 'removed']]);
    const [nonUnique] = diff((r) => (r.indexes[0].unique = false));
    expect(nonUnique).toMatchObject({ object: 'table users / index ix_users_email', change: 'changed', baseline: { unique: true }, candidate: { unique: false } });
  });

  it("finds a partial index's predicate and an index's columns changed", () => {
    expect(diff((r) => (r.indexes[1].where = 'user_id > 1'))[0]).toMatchObject({ change: 'changed', candidate: { where: 'user_id > 1' } });
    expect(diff((r) => (r.indexes[0].columns = ['email', 'id']))[0]).toMatchObject({ change: 'changed', candidate: { columns: ['email', 'id'] } });
  });

  it('finds a unique constraint and a primary key changed', () => {
    expect(diff((r) => r.uniques.push({ table: 'users', columns: ['email'], name: 'users_email_key', generatedName: true }))[0]).toMatchObject({
      object: 'table users / unique (email)',
      change: 'added',
      candidate: { columns: ['email'] },
    });
    expect(diff((r) => (r.primaryKeys[0].columns = ['id', 'email']))[0]).toMatchObject({ object: 'table users / primary key', change: 'changed' });
  });

  it("finds a foreign key's on-delete changed", () => {
    expect(diff((r) => (r.foreignKeys[0].onDelete = 'SET NULL'))).toEqual([
      {
        object: 'table orders / foreign key (user_id)',
        change: 'changed',
        baseline: { onDelete: 'cascade', onUpdate: 'no action', references: 'users (id)' },
        candidate: { onDelete: 'set null', onUpdate: 'no action', references: 'users (id)' },
      },
    ]);
  });

  it('finds a check constraint changed as the old one removed and the new one added', () => {
    expect(diff((r) => (r.checks[0].expression = 'CHECK ((age >= 0))')).map((c) => [c.object, c.change])).toEqual([
      ['table users / check CHECK ((age > 0))', 'removed'],
      ['table users / check CHECK ((age >= 0))', 'added'],
    ]);
  });

  it('finds an enum value, a view and a sequence changed', () => {
    expect(diff((r) => r.enums[0].values.push('meh'))[0]).toMatchObject({ object: 'enum mood', change: 'changed', candidate: { values: ['happy', 'sad', 'meh'] } });
    expect(diff((r) => (r.views[0].definition = 'SELECT id FROM users'))[0]).toMatchObject({ object: 'view adults', change: 'changed' });
    // Only whitespace moved: no change.
    expect(diff((r) => (r.views[0].definition = 'SELECT id FROM users   WHERE age >= 18'))).toEqual([]);
    expect(diff((r) => (r.sequences[0].increment = 2))[0]).toMatchObject({ object: 'sequence users_id_seq', change: 'changed' });
  });

  it('reports a table removed once, not each of its columns, keys and indexes again', () => {
    const changes = diff((r) => {
      r.tables = r.tables.filter((t) => t !== 'orders');
      r.columns = r.columns.filter((c) => c.table !== 'orders');
      r.primaryKeys = r.primaryKeys.filter((p) => p.table !== 'orders');
      r.indexes = r.indexes.filter((i) => i.table !== 'orders');
      r.foreignKeys = [];
    });
    expect(changes.map((c) => [c.object, c.change])).toEqual([['table orders', 'removed']]);
  });

  it('leaves out what ignore names: a whole table, or one object', () => {
    const edit = (r: RawSchema) => {
      column(r, 'alembic_version', 'version_num').type = 'text';
      r.indexes.shift();
    };
    expect(diff(edit).map((c) => c.object)).toEqual(['table alembic_version / column version_num', 'table users / index ix_users_email']);
    expect(diff(edit, ['alembic_version']).map((c) => c.object)).toEqual(['table users / index ix_users_email']);
    expect(diff(edit, ['alembic_version', 'table users / index ix_users_email'])).toEqual([]);
    expect(ignored('table alembic_version', ['alembic_version'])).toBe(true);
    expect(ignored('table alembic_versions', ['alembic_version'])).toBe(false);
  });
});

describe('DDL text diff', () => {
  it('sets whitespace and comments aside, and names a changed statement as one change', () => {
    expect(diffDdl('CREATE TABLE t (\n  id int\n);\n-- done\n', 'CREATE TABLE t ( id int );')).toEqual([]);
    const [change] = diffDdl('CREATE TABLE t (email text UNIQUE);', 'CREATE TABLE t (email text);');
    expect(change).toMatchObject({ object: DDL_OBJECT, change: 'changed', baseline: { text: 'CREATE TABLE t (email text UNIQUE)' } });
    expect(diffDdl(undefined, 'x')).toEqual([]);
  });

  it('words the reason as the contract does', () => {
    expect(schemaReason(3)).toBe('schema differs: 3 changes');
  });
});
