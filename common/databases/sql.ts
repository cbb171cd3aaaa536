/**
 * The SQL that sets up a suite's fixed connection (a database, a user and its password), for the
 * worker's dedicated server and for the reproduce script the dashboard shows: one definition, so the
 * two cannot drift apart.
 */
import type { Backend } from '../types.js';

export type SqlBackend = Exclude<Backend, 'sqlite'>;

/**
 * A string literal in the backend's own dialect. PostgreSQL (standard_conforming_strings, on by default
 * since 9.1) takes a backslash as it is and only a quote is doubled; MariaDB (unless its sql_mode has
 * NO_BACKSLASH_ESCAPES, which ours has not) reads backslash escapes, so a backslash is doubled too.
 */
export function sqlLiteral(backend: SqlBackend, value: string): string {
  const escaped = backend === 'postgres' ? value.replace(/'/g, "''") : value.replace(/\\/g, '\\\\').replace(/'/g, "''");
  return `'${escaped}'`;
}

/**
 * Creates `database` and `user` (plain identifiers: the matrix schema allows nothing else) with
 * `password`, the user owning the database. psql runs each array element as a statement of its own
 * (CREATE DATABASE cannot run in a transaction); MariaDB takes the one string.
 */
export function fixedConnectionSetup(backend: SqlBackend, fixed: { database: string; user: string; password: string }): string | string[] {
  const { database, user } = fixed;
  const password = sqlLiteral(backend, fixed.password);
  return backend === 'postgres'
    ? [`CREATE USER ${user} PASSWORD ${password}`, `CREATE DATABASE ${database} OWNER ${user}`]
    : `CREATE DATABASE ${database}; CREATE USER '${user}'@'%' IDENTIFIED BY ${password}; CREATE USER '${user}'@'localhost' IDENTIFIED BY ${password}; GRANT ALL ON ${database}.* TO '${user}'@'%'; GRANT ALL ON ${database}.* TO '${user}'@'localhost';`;
}
