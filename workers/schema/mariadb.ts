/**
 * MariaDB's schema, from information_schema for the cell's own database (DATABASE()). Unique
 * constraints are unique indexes there, and read as such; the database's own name, which differs from
 * cell to cell, is taken out of view definitions.
 */
import type { RawSchema } from '../../common/schema/document.js';
import type { Row, RowQuery } from './rows.js';

export const MARIADB_STATEMENTS = [
  `SELECT JSON_OBJECT('k', 'table', 'table', TABLE_NAME, 'type', TABLE_TYPE) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`,
  `SELECT JSON_OBJECT('k', 'column', 'table', TABLE_NAME, 'name', COLUMN_NAME, 'type', COLUMN_TYPE, 'nullable', IS_NULLABLE = 'YES',
          'default', COLUMN_DEFAULT, 'collation', COLLATION_NAME, 'extra', EXTRA, 'generation', GENERATION_EXPRESSION)
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()`,
  `SELECT JSON_OBJECT('k', 'index', 'table', TABLE_NAME, 'name', INDEX_NAME, 'unique', NON_UNIQUE = 0, 'seq', SEQ_IN_INDEX,
          'column', COLUMN_NAME, 'sub', SUB_PART, 'method', INDEX_TYPE)
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()`,
  `SELECT JSON_OBJECT('k', 'fk', 'table', r.TABLE_NAME, 'name', r.CONSTRAINT_NAME, 'refTable', r.REFERENCED_TABLE_NAME,
          'onDelete', r.DELETE_RULE, 'onUpdate', r.UPDATE_RULE, 'seq', u.ORDINAL_POSITION, 'column', u.COLUMN_NAME, 'refColumn', u.REFERENCED_COLUMN_NAME)
     FROM information_schema.REFERENTIAL_CONSTRAINTS r JOIN information_schema.KEY_COLUMN_USAGE u
       ON u.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND u.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND u.TABLE_NAME = r.TABLE_NAME
    WHERE r.CONSTRAINT_SCHEMA = DATABASE()`,
  `SELECT JSON_OBJECT('k', 'check', 'table', TABLE_NAME, 'name', CONSTRAINT_NAME, 'clause', CHECK_CLAUSE)
     FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`,
  `SELECT JSON_OBJECT('k', 'view', 'name', TABLE_NAME, 'definition', VIEW_DEFINITION, 'check', CHECK_OPTION) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()`,
  `SELECT JSON_OBJECT('k', 'database', 'name', DATABASE())`,
];

/** MariaDB names a key after its first column (`email`, then `email_2`), a check after its column or `CONSTRAINT_N`. */
function generatedIndexName(name: string, columns: string[]): boolean {
  return columns.length > 0 && new RegExp(`^${columns[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(_\\d+)?$`).test(name);
}

export function mariadbRaw(rows: Row[]): RawSchema {
  const raw: RawSchema = { backend: 'mysql', tables: [], columns: [], primaryKeys: [], uniques: [], indexes: [], foreignKeys: [], checks: [], views: [], sequences: [], enums: [] };
  const database = String(rows.find((r) => r.k === 'database')?.name ?? '');
  const ofDatabase = (text: string) => (database ? text.split(`\`${database}\`.`).join('') : text);
  const views = new Set(rows.filter((r) => r.k === 'view').map((r) => String(r.name)));
  const indexes = new Map<string, { table: string; name: string; unique: boolean; method: string; parts: Array<[number, string]> }>();
  const fks = new Map<string, { table: string; refTable: string; onDelete: string; onUpdate: string; parts: Array<[number, string, string]> }>();
  for (const row of rows) {
    const table = String(row.table ?? '');
    if (row.k === 'table') {
      if (row.type === 'SEQUENCE') raw.sequences.push({ name: table });
      else if (row.type !== 'VIEW') raw.tables.push(table);
    } else if (row.k === 'column' && !views.has(table)) {
      const extra = [row.extra, row.generation ? `as (${String(row.generation)})` : ''].filter(Boolean).join(' ');
      raw.columns.push({ table, name: String(row.name), type: String(row.type), nullable: Boolean(row.nullable), default: row.default === null ? null : String(row.default), collation: row.collation === null ? null : String(row.collation), extra: extra || null });
    } else if (row.k === 'index') {
      const key = `${table}\0${String(row.name)}`;
      const entry = indexes.get(key) ?? { table, name: String(row.name), unique: Boolean(row.unique), method: String(row.method), parts: [] };
      entry.parts.push([Number(row.seq), row.sub === null ? String(row.column) : `${String(row.column)}(${String(row.sub)})`]);
      indexes.set(key, entry);
    } else if (row.k === 'fk') {
      const key = `${table}\0${String(row.name)}`;
      const entry = fks.get(key) ?? { table, refTable: String(row.refTable), onDelete: String(row.onDelete), onUpdate: String(row.onUpdate), parts: [] };
      entry.parts.push([Number(row.seq), String(row.column), String(row.refColumn)]);
      fks.set(key, entry);
    } else if (row.k === 'check') {
      const name = String(row.name);
      // A column-level CHECK is named after its column; a table-level one without a name is CONSTRAINT_N.
      raw.checks.push({ table, expression: ofDatabase(String(row.clause)), name, generatedName: /^CONSTRAINT_\d+$/.test(name) || raw.columns.some((c) => c.table === table && c.name === name) });
    } else if (row.k === 'view') {
      raw.views.push({ name: String(row.name), definition: `${ofDatabase(String(row.definition))}${row.check && row.check !== 'NONE' ? ` WITH ${String(row.check)} CHECK OPTION` : ''}` });
    }
  }
  for (const ix of indexes.values()) {
    const columns = ix.parts.sort((a, b) => a[0] - b[0]).map((p) => p[1]);
    if (ix.name === 'PRIMARY') raw.primaryKeys.push({ table: ix.table, columns });
    else raw.indexes.push({ table: ix.table, name: ix.name, generatedName: generatedIndexName(ix.name, columns), columns, unique: ix.unique, where: null, method: ix.method });
  }
  for (const fk of fks.values()) {
    const parts = fk.parts.sort((a, b) => a[0] - b[0]);
    raw.foreignKeys.push({ table: fk.table, columns: parts.map((p) => p[1]), refTable: fk.refTable, refColumns: parts.map((p) => p[2]), onDelete: fk.onDelete, onUpdate: fk.onUpdate });
  }
  return raw;
}

export async function readMariadb(query: RowQuery): Promise<RawSchema> {
  return mariadbRaw(await query(MARIADB_STATEMENTS));
}
