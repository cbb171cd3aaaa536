/**
 * quarry: INSERT, SELECT and upsert statements for SQLite, MySQL/MariaDB and PostgreSQL, returned as
 * `{ sql, params }` with the placeholders the Node drivers take (better-sqlite3 and mysql2: `?`;
 * pg: `$1, $2, ...`).
 */
export const VERSION = '1.0.0';

export class QuarryError extends Error {
  constructor(message) {
    super(message);
    this.name = 'QuarryError';
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const DIALECTS = {
  sqlite: { quote: (id) => `"${id}"`, placeholder: () => '?' },
  mysql: { quote: (id) => `\`${id}\``, placeholder: () => '?' },
  postgres: { quote: (id) => `"${id}"`, placeholder: (n) => `$${n}` },
};

export const DIALECT_NAMES = Object.keys(DIALECTS);

/** A dialect with a statement-local placeholder counter (pg numbers its parameters). */
function start(dialectName) {
  const dialect = DIALECTS[dialectName];
  if (!dialect) throw new QuarryError(`unknown dialect "${dialectName}": use one of ${DIALECT_NAMES.join(', ')}`);
  const params = [];
  return {
    name: dialectName,
    params,
    q(id) {
      if (typeof id !== 'string' || !IDENTIFIER.test(id)) throw new QuarryError(`not a plain identifier: ${JSON.stringify(id)}`);
      return dialect.quote(id);
    },
    bind(value) {
      params.push(value);
      return dialect.placeholder(params.length);
    },
  };
}

function columnsOf(row) {
  const columns = Object.keys(row ?? {});
  if (columns.length === 0) throw new QuarryError('a row needs at least one column');
  return columns;
}

/** `INSERT INTO t (a, b) VALUES (?, ?)` */
export function insert(dialectName, table, row) {
  const d = start(dialectName);
  const columns = columnsOf(row);
  const values = columns.map((c) => d.bind(row[c]));
  const sql = `INSERT INTO ${d.q(table)} (${columns.map(d.q).join(', ')}) VALUES (${values.join(', ')})`;
  return { sql, params: d.params };
}

/** `INSERT INTO t (a, b) VALUES (?, ?), (?, ?)`: one statement for many rows with the same columns. */
export function insertMany(dialectName, table, rows) {
  const d = start(dialectName);
  if (!Array.isArray(rows) || rows.length === 0) throw new QuarryError('insertMany needs at least one row');
  const columns = columnsOf(rows[0]);
  const tuples = rows.map((row, i) => {
    const own = Object.keys(row);
    if (own.length !== columns.length || !columns.every((c) => own.includes(c))) {
      throw new QuarryError(`row ${i} does not have the columns of the first row (${columns.join(', ')})`);
    }
    return `(${columns.map((c) => d.bind(row[c])).join(', ')})`;
  });
  const sql = `INSERT INTO ${d.q(table)} (${columns.map(d.q).join(', ')}) VALUES ${tuples.join(', ')}`;
  return { sql, params: d.params };
}

/**
 * `SELECT ... FROM t WHERE a = ? AND b IS NULL ORDER BY c DESC LIMIT 10`
 * @param {{columns?: string[], where?: Record<string, unknown>, orderBy?: string[], limit?: number}} [options]
 *   `where` compares for equality (`null` means IS NULL); an `orderBy` entry `-c` sorts by c descending.
 */
export function select(dialectName, table, options = {}) {
  const d = start(dialectName);
  const { columns, where, orderBy, limit } = options;
  let sql = `SELECT ${columns?.length ? columns.map(d.q).join(', ') : '*'} FROM ${d.q(table)}`;
  const conditions = Object.entries(where ?? {}).map(([column, value]) =>
    value === null || value === undefined ? `${d.q(column)} IS NULL` : `${d.q(column)} = ${d.bind(value)}`,
  );
  if (conditions.length) sql += ` WHERE ${conditions.join(' AND ')}`;
  if (orderBy?.length) {
    sql += ` ORDER BY ${orderBy.map((o) => (o.startsWith('-') ? `${d.q(o.slice(1))} DESC` : d.q(o))).join(', ')}`;
  }
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || limit < 0) throw new QuarryError(`limit must be a non-negative integer, not ${limit}`);
    sql += ` LIMIT ${limit}`;
  }
  return { sql, params: d.params };
}

/**
 * Inserts the row, or, when a row with the same unique key exists, updates its other columns.
 * @param {{key: string[]}} options the columns of the unique key (primary key or UNIQUE) that conflicts
 */
export function upsert(dialectName, table, row, options) {
  const d = start(dialectName);
  const columns = columnsOf(row);
  const key = options?.key ?? [];
  if (key.length === 0) throw new QuarryError('upsert needs the columns of a unique key: { key: [...] }');
  for (const k of key) {
    if (!columns.includes(k)) throw new QuarryError(`key column "${k}" is not in the row`);
  }
  const values = columns.map((c) => d.bind(row[c]));
  const updated = columns.filter((c) => !key.includes(c));
  let sql = `INSERT INTO ${d.q(table)} (${columns.map(d.q).join(', ')}) VALUES (${values.join(', ')})`;
  if (d.name === 'mysql') {
    // VALUES() in ON DUPLICATE KEY UPDATE is deprecated since MySQL 8.0.20: refer to the new row
    // through a row alias instead (MySQL 8.0.19+).
    // Nothing to update still has to be a valid assignment: set the key to itself.
    const assignments = (updated.length ? updated : key.slice(0, 1)).map((c) => `${d.q(c)} = new.${d.q(c)}`);
    sql += ` AS new ON DUPLICATE KEY UPDATE ${assignments.join(', ')}`;
  } else {
    sql += ` ON CONFLICT (${key.map(d.q).join(', ')})`;
    sql += updated.length
      ? ` DO UPDATE SET ${updated.map((c) => `${d.q(c)} = excluded.${d.q(c)}`).join(', ')}`
      : ' DO NOTHING';
  }
  return { sql, params: d.params };
}
