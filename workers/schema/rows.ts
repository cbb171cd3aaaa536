/**
 * How a schema reader asks a server: SQL statements each of whose rows is one JSON object with a `k`
 * field saying which statement it came from, run through the server's own client inside its container
 * (psql, mariadb) as the cell's user. One line of output per row: the JSON functions escape newlines.
 */
import { execIn, type ContainerEngine } from '../container/docker.js';

export type Row = Record<string, unknown> & { k: string };

/** Runs statements and returns their rows, in order. */
export type RowQuery = (statements: string[]) => Promise<Row[]>;

export class SchemaReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaReadError';
  }
}

/** The rows of a client's output: lines that are JSON objects; anything else (a notice) is not a row. */
export function parseRows(output: string): Row[] {
  const rows: Row[] = [];
  for (const line of output.split('\n')) {
    const text = line.trim();
    if (!text.startsWith('{')) continue;
    const row = JSON.parse(text) as Row;
    if (typeof row.k === 'string') rows.push(row);
  }
  return rows;
}

/** Where a cell's database is, as the worker reaches it: its server's container and the cell's own login. */
export interface ServerLogin {
  backend: 'postgres' | 'mysql';
  /** The server container's id or name. */
  container: string;
  user: string;
  password: string | undefined;
  database: string;
}

/** A cell's login from its DATABASE_URL (the server inside its container listens on 127.0.0.1). */
export function loginFromUrl(backend: 'postgres' | 'mysql', container: string, url: string): ServerLogin {
  const u = new URL(url);
  return {
    backend,
    container,
    user: decodeURIComponent(u.username),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  };
}

/** A RowQuery through `docker exec` of the server's client, argv only: statements reach it as arguments, never as shell text. */
export function execRowQuery(engine: ContainerEngine, login: ServerLogin, timeoutMs = 60_000): RowQuery {
  return async (statements) => {
    const { cmd, env } =
      login.backend === 'postgres'
        ? {
            cmd: ['psql', '-X', '-h', '127.0.0.1', '-U', login.user, '-d', login.database, '-v', 'ON_ERROR_STOP=1', '-qAt', ...statements.flatMap((s) => ['-c', s])],
            env: login.password === undefined ? [] : [`PGPASSWORD=${login.password}`],
          }
        : {
            // -r: no batch escaping of the JSON's own backslashes.
            cmd: ['mariadb', '-h', '127.0.0.1', '-u', login.user, '-D', login.database, '-N', '-B', '-r', '-e', statements.join(';\n')],
            env: login.password === undefined ? [] : [`MYSQL_PWD=${login.password}`],
          };
    const result = await execIn(engine, login.container, cmd, env, timeoutMs);
    if (result.exitCode !== 0) throw new SchemaReadError(`${login.backend} schema read failed (exit ${result.exitCode}): ${result.output.trim().slice(0, 500)}`);
    return parseRows(result.output);
  };
}
