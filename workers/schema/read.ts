/**
 * A cell's schema, read after its migrations (issue 19 item 2): one reader per backend, picked here,
 * each giving the raw catalogue that common/schema/document.ts makes canonical.
 *
 * Where it is read: from the worker, not inside the cell's container. PostgreSQL and MariaDB are read
 * through `docker exec` of the server's own client in the server's container (shared or dedicated),
 * logged in as the cell's user with the cell's credentials, so the read sees exactly what the cell's
 * migrations could make and nothing else, and needs no client in the consumer's image (which may be
 * any image) and no driver in the worker. SQLite is the file in the side's workspace, on this host.
 */
import { canonicalSchema, type SchemaDocument } from '../../common/schema/document.js';
import type { Backend } from '../../common/types.js';
import type { ContainerEngine } from '../container/docker.js';
import { readMariadb } from './mariadb.js';
import { readPostgres } from './postgres.js';
import { execRowQuery, loginFromUrl, SchemaReadError } from './rows.js';
import { readSqliteFile } from './sqlite.js';

/** Where a side's database is, as the worker reaches it. */
export type SchemaTarget =
  | { backend: 'sqlite'; file: string; scratch: string }
  | { backend: 'postgres' | 'mysql'; container: string; url: string };

/** Reads a side's schema; the port a worker's processors are given. */
export type SchemaReader = (target: SchemaTarget) => Promise<SchemaDocument>;

export function schemaReader(engine: ContainerEngine): SchemaReader {
  return async (target) => {
    if (target.backend === 'sqlite') return canonicalSchema(readSqliteFile(target.file, target.scratch));
    const query = execRowQuery(engine, loginFromUrl(target.backend, target.container, target.url));
    const raw = target.backend === 'postgres' ? await readPostgres(query) : await readMariadb(query);
    return canonicalSchema(raw);
  };
}

/** The server container a cell database lives in: a dedicated server's (`container:ID`), else the shared server's host name. */
export function serverContainerOf(backend: Backend, database: { url: string; networkMode?: string }): string {
  if (database.networkMode?.startsWith('container:')) return database.networkMode.slice('container:'.length);
  const host = new URL(database.url).hostname;
  if (!host || host === '127.0.0.1' || host === 'localhost') throw new SchemaReadError(`no server container known for the ${backend} database at ${host}`);
  return host;
}

export { SchemaReadError };
