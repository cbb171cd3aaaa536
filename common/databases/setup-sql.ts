/**
 * The SQL that gives a suite the login it expects on a database server of its own (CONTRACT "Suites
 * that hard-code their connection"), and the URL it then connects with. The worker runs these
 * statements and the reproduce script prints them, from this one place. Identifiers come from the
 * matrix schema (validated) or are generated; passwords are quoted as SQL strings.
 */
import type { Backend } from '../types.js';

export type ServerBackend = Exclude<Backend, 'sqlite'>;

export const PORTS: Record<ServerBackend, number> = { postgres: 5432, mysql: 3306 };

export interface DatabaseLogin {
  database: string;
  user: string;
  /** None: the user logs in without one (PostgreSQL: the worker adds a loopback `trust` line for it). */
  password?: string;
  /** For suites that create schemas, extensions or other databases. */
  superuser?: boolean;
}

/**
 * A string literal in the backend's own dialect. PostgreSQL (standard_conforming_strings, on by default
 * since 9.1) takes a backslash as it is and only a quote is doubled; MariaDB (unless its sql_mode has
 * NO_BACKSLASH_ESCAPES, which ours has not) reads backslash escapes, so a backslash is doubled too.
 */
export function sqlLiteral(backend: ServerBackend, value: string): string {
  const escaped = backend === 'postgres' ? value.replace(/'/g, "''") : value.replace(/\\/g, '\\\\').replace(/'/g, "''");
  return `'${escaped}'`;
}

/**
 * The user and its database, run as the superuser. PostgreSQL: one statement per psql `-c` (CREATE
 * DATABASE refuses to run inside the transaction a multi-statement -c is); MariaDB: statements ending
 * in `;`, run together. The suite connects over 127.0.0.1 or a socket, so MariaDB gets both hosts.
 */
export function loginSetupSql(backend: ServerBackend, login: DatabaseLogin): string[] {
  const { database, user, password, superuser } = login;
  if (backend === 'postgres') {
    const options = [superuser ? 'SUPERUSER' : '', password === undefined ? '' : `PASSWORD ${sqlLiteral(backend, password)}`].filter(Boolean).join(' ');
    return [`CREATE USER ${user}${options ? ` ${options}` : ''}`, `CREATE DATABASE ${database} OWNER ${user}`];
  }
  const identified = password === undefined ? '' : ` IDENTIFIED BY ${sqlLiteral(backend, password)}`;
  const scope = superuser ? '*.*' : `${database}.*`;
  const grantOption = superuser ? ' WITH GRANT OPTION' : '';
  return [
    `CREATE DATABASE ${database};`,
    ...['%', 'localhost'].map((host) => `CREATE USER '${user}'@'${host}'${identified};`),
    ...['%', 'localhost'].map((host) => `GRANT ALL ON ${scope} TO '${user}'@'${host}'${grantOption};`),
  ];
}

/**
 * After a consumer's `setupSql` (run as the superuser, in the login's database): what it made belongs
 * to the suite's user too. MariaDB's database-wide grant already covers it.
 */
export function afterSetupSql(backend: ServerBackend, login: DatabaseLogin): string[] {
  if (backend === 'mysql') return [];
  return [`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${login.user}`, `GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${login.user}`];
}

/** DATABASE_URL for a login on a server the suite reaches at `host` on the backend's standard port. */
export function loginUrl(backend: ServerBackend, login: DatabaseLogin, host = '127.0.0.1'): string {
  const scheme = backend === 'postgres' ? 'postgresql' : 'mysql';
  const credentials = encodeURIComponent(login.user) + (login.password === undefined ? '' : `:${encodeURIComponent(login.password)}`);
  return `${scheme}://${credentials}@${host}:${PORTS[backend]}/${login.database}`;
}
