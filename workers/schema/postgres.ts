/**
 * PostgreSQL's schema, from pg_catalog: every schema but the system's (objects outside `public` are
 * named `schema.name`). Constraint-backed indexes are read as their constraints; OIDs never leave SQL.
 */
import type { RawSchema } from '../../common/schema/document.js';
import type { Row, RowQuery } from './rows.js';

const USER_SCHEMA = (ns: string) => `${ns}.nspname NOT IN ('pg_catalog', 'information_schema') AND ${ns}.nspname NOT LIKE 'pg\\_toast%' AND ${ns}.nspname NOT LIKE 'pg\\_temp\\_%'`;
/** `schema.name`, or `name` in public. */
const QUALIFIED = (ns: string, rel: string) => `CASE WHEN ${ns}.nspname = 'public' THEN ${rel} ELSE ${ns}.nspname || '.' || ${rel} END`;
const COLUMNS_OF = (keys: string, rel: string) =>
  `ARRAY(SELECT a.attname::text FROM unnest(${keys}) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.n ORDER BY k.o)`;

export const POSTGRES_STATEMENTS = [
  `SELECT json_build_object('k', 'table', 'table', ${QUALIFIED('n', 'c.relname')})
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${USER_SCHEMA('n')}`,
  `SELECT json_build_object('k', 'column', 'table', ${QUALIFIED('n', 'c.relname')}, 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
          'nullable', NOT a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid),
          'collation', CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
          'extra', concat_ws(' ', CASE a.attidentity WHEN 'a' THEN 'identity always' WHEN 'd' THEN 'identity by default' END, CASE a.attgenerated WHEN 's' THEN 'generated stored' END))
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum LEFT JOIN pg_collation co ON co.oid = a.attcollation
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_SCHEMA('n')}`,
  `SELECT json_build_object('k', 'constraint', 'type', con.contype, 'table', ${QUALIFIED('n', 'c.relname')}, 'name', con.conname,
          'columns', ${COLUMNS_OF('con.conkey', 'con.conrelid')},
          'refTable', CASE WHEN con.contype = 'f' THEN ${QUALIFIED('fn', 'fc.relname')} END,
          'refColumns', CASE WHEN con.contype = 'f' THEN ${COLUMNS_OF('con.confkey', 'con.confrelid')} END,
          'onDelete', con.confdeltype, 'onUpdate', con.confupdtype, 'definition', pg_get_constraintdef(con.oid, true))
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
    WHERE con.contype IN ('p', 'u', 'f', 'c') AND ${USER_SCHEMA('n')}`,
  `SELECT json_build_object('k', 'index', 'table', ${QUALIFIED('n', 't.relname')}, 'name', i.relname, 'unique', ix.indisunique,
          'where', pg_get_expr(ix.indpred, ix.indrelid, true), 'method', am.amname,
          'columns', ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnkeyatts) k ORDER BY k))
     FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam
    WHERE ${USER_SCHEMA('n')} AND t.relkind IN ('r', 'p', 'm')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid AND con.contype IN ('p', 'u', 'x'))`,
  `SELECT json_build_object('k', 'view', 'name', ${QUALIFIED('n', 'c.relname')}, 'materialized', c.relkind = 'm', 'definition', pg_get_viewdef(c.oid, true))
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND ${USER_SCHEMA('n')}`,
  `SELECT json_build_object('k', 'sequence', 'name', ${QUALIFIED('n', 'c.relname')}, 'type', format_type(s.seqtypid, NULL), 'start', s.seqstart::text,
          'increment', s.seqincrement::text, 'min', s.seqmin::text, 'max', s.seqmax::text, 'cycle', s.seqcycle)
     FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_SCHEMA('n')}`,
  `SELECT json_build_object('k', 'enum', 'name', ${QUALIFIED('n', 't.typname')}, 'values', ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder))
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' AND ${USER_SCHEMA('n')}`,
];

const ACTIONS: Record<string, string> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

/** Names PostgreSQL makes up when none is given: `t_c_key`, `t_c_idx`, `t_c_check` (cut at 63, numbered on a clash). */
export function generatedPostgresName(table: string, columns: string[], suffix: 'key' | 'idx' | 'check' | 'fkey', name: string): boolean {
  const bare = table.includes('.') ? table.split('.').pop()! : table;
  const stem = [bare, ...columns].join('_');
  return new RegExp(`^${escape(stem.slice(0, 63 - suffix.length - 1))}.*_${suffix}\\d*$`).test(name) || new RegExp(`^${escape(bare.slice(0, 40))}_.*_${suffix}\\d*$`).test(name);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

export function postgresRaw(rows: Row[]): RawSchema {
  const raw: RawSchema = { backend: 'postgres', tables: [], columns: [], primaryKeys: [], uniques: [], indexes: [], foreignKeys: [], checks: [], views: [], sequences: [], enums: [] };
  for (const row of rows) {
    const table = String(row.table ?? '');
    switch (row.k) {
      case 'table':
        raw.tables.push(table);
        break;
      case 'column':
        raw.columns.push({ table, name: String(row.name), type: String(row.type), nullable: Boolean(row.nullable), default: str(row.default), collation: str(row.collation), extra: str(row.extra) || null });
        break;
      case 'constraint': {
        const columns = strs(row.columns);
        const name = String(row.name);
        if (row.type === 'p') raw.primaryKeys.push({ table, columns });
        else if (row.type === 'u') raw.uniques.push({ table, columns, name, generatedName: generatedPostgresName(table, columns, 'key', name) });
        else if (row.type === 'f') {
          raw.foreignKeys.push({ table, columns, refTable: String(row.refTable), refColumns: strs(row.refColumns), onDelete: ACTIONS[String(row.onDelete)] ?? String(row.onDelete), onUpdate: ACTIONS[String(row.onUpdate)] ?? String(row.onUpdate) });
        } else raw.checks.push({ table, expression: String(row.definition), name, generatedName: generatedPostgresName(table, columns, 'check', name) });
        break;
      }
      case 'index': {
        const columns = strs(row.columns);
        const name = String(row.name);
        raw.indexes.push({ table, name, generatedName: generatedPostgresName(table, columns, 'idx', name), columns, unique: Boolean(row.unique), where: str(row.where), method: str(row.method) });
        break;
      }
      case 'view':
        raw.views.push({ name: String(row.name), definition: `${row.materialized ? 'MATERIALIZED ' : ''}${String(row.definition)}` });
        break;
      case 'sequence': {
        const props: Record<string, unknown> = { ...row };
        delete props.k;
        delete props.name;
        raw.sequences.push({ name: String(row.name), ...(props as Record<string, string | boolean | null>) });
        break;
      }
      case 'enum':
        raw.enums.push({ name: String(row.name), values: strs(row.values) });
        break;
    }
  }
  return raw;
}

export async function readPostgres(query: RowQuery): Promise<RawSchema> {
  return postgresRaw(await query(POSTGRES_STATEMENTS));
}
