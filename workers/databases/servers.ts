/**
 * Databases for cells. One long-lived PostgreSQL and one MariaDB server per worker host, and a fresh
 * database and user per cell side, dropped afterwards; a suite that hard-codes 127.0.0.1 gets a server
 * of its own whose network namespace its test container shares. Names and passwords are generated here
 * (hex), so the SQL built from them cannot be steered by anyone; config-given identifiers are validated
 * by the matrix schema.
 */
import { randomBytes } from 'node:crypto';
import type { CellDatabaseLimits } from '../../common/config.js';
import type { FixedConnectionConfig } from '../../common/matrix/schema.js';
import { afterSetupSql, loginSetupSql, loginUrl, PORTS, sqlLiteral, type ServerBackend } from '../../common/databases/setup-sql.js';
import { createService, ensureNetwork, execIn, inspectContainer, removeContainer, startContainer, LABEL_CELL, LABEL_KIND, LABEL_PREFIX, LABEL_RUN, LABEL_WORKER, type ContainerEngine } from '../container/docker.js';
import { isConflict, isNotFound } from '../../common/docker/engine.js';
import { logger } from '../../common/logger.js';
import { ContainerRemovals } from '../container/removal.js';

export { PORTS, type ServerBackend };

function ignoreGone(error: unknown): void {
  // Removed (or being removed) by another worker of this host meanwhile: what was wanted.
  if (!isNotFound(error) && !isConflict(error)) throw error;
}

export class DatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseError';
  }
}

export interface CellDatabase {
  /** DATABASE_URL as the test container sees it. */
  url: string;
  /** For `fixedConnection` cells: the server container whose network the test shares. */
  networkMode?: string;
  name: string;
  drop(): Promise<void>;
}

export interface Owner {
  prefix: string;
  worker: string;
  runId: string;
  cellId: string;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function envFor(backend: ServerBackend, rootPassword: string): string[] {
  return backend === 'postgres'
    ? [`POSTGRES_PASSWORD=${rootPassword}`, 'POSTGRES_USER=postgres']
    : [`MARIADB_ROOT_PASSWORD=${rootPassword}`, `MYSQL_ROOT_PASSWORD=${rootPassword}`];
}

/** A SQL client call as root inside the server container: argv only. */
function sqlCommand(backend: ServerBackend, rootPassword: string, sql: string | string[], database?: string): { cmd: string[]; env: string[] } {
  const statements = Array.isArray(sql) ? sql : [sql];
  if (backend === 'postgres') {
    // One -c per statement: psql runs a multi-statement -c in one transaction, and CREATE/DROP
    // DATABASE refuse to run inside one.
    return {
      cmd: ['psql', '-h', '127.0.0.1', '-U', 'postgres', '-d', database ?? 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAt', ...statements.flatMap((st) => ['-c', st])],
      env: [`PGPASSWORD=${rootPassword}`],
    };
  }
  return {
    cmd: ['mariadb', '-h', '127.0.0.1', '-uroot', '-N', '-B', ...(database ? ['-D', database] : []), '-e', statements.join('\n')],
    env: [`MYSQL_PWD=${rootPassword}`],
  };
}

/** What one cell's user may take of a shared server when none is configured (see Config.cellDatabaseLimits). */
export const DEFAULT_CELL_LIMITS: CellDatabaseLimits = { connections: 50, statementSeconds: 300 };

/**
 * The SQL that makes a cell's user and database on a shared server, with the user's share of it: a
 * connection limit and a statement timeout, so one cell cannot take the server from the others.
 * The name and password are generated (hex), the limits are integers.
 */
export function cellDatabaseSql(backend: ServerBackend, name: string, password: string, limits: CellDatabaseLimits): string | string[] {
  const connections = Math.floor(limits.connections);
  const seconds = Math.floor(limits.statementSeconds);
  if (!(connections > 0) || !(seconds > 0)) throw new DatabaseError(`cell database limits must be positive integers, got ${connections} connections, ${seconds} s`);
  if (backend === 'postgres') {
    return [
      `CREATE USER ${name} PASSWORD ${sqlLiteral(backend, password)} CONNECTION LIMIT ${connections}`,
      `ALTER ROLE ${name} SET statement_timeout = '${seconds}s'`,
      `CREATE DATABASE ${name} OWNER ${name}`,
      `REVOKE ALL ON DATABASE ${name} FROM PUBLIC`,
    ];
  }
  return (
    `CREATE DATABASE ${name}; CREATE USER '${name}'@'%' IDENTIFIED BY ${sqlLiteral(backend, password)} ` +
    `WITH MAX_USER_CONNECTIONS ${connections} MAX_STATEMENT_TIME ${seconds}; GRANT ALL ON ${name}.* TO '${name}'@'%';`
  );
}

export class DatabaseServers {
  private shared = new Map<ServerBackend, Promise<{ id: string; host: string; rootPassword: string }>>();

  /** Removals of this object's own, when it is not handed the worker's (tests, tools). */
  private ownRemovals: ContainerRemovals | null = null;

  constructor(
    private readonly docker: ContainerEngine,
    private readonly options: { network: string; hostId: string; cellLimits?: CellDatabaseLimits; removals?: ContainerRemovals },
  ) {}

  /** Every container this removes goes through here: one the engine could not remove now is retried, not forgotten. */
  private get removals(): ContainerRemovals {
    return this.options.removals ?? (this.ownRemovals ??= new ContainerRemovals({ remove: (id) => removeContainer(this.docker, id), log: logger }));
  }

  /** One per host whatever the queue prefix: test stacks and the demo share it, each cell with its own database. */
  private sharedName(backend: ServerBackend): string {
    return `compat-db-${backend}-${this.options.hostId}`;
  }

  /** Starts (or finds) this host's long-lived server for a backend and waits until it answers. */
  ensureShared(backend: ServerBackend, image: string) {
    let server = this.shared.get(backend);
    if (!server) {
      server = this.startShared(backend, image);
      this.shared.set(backend, server);
      server.catch(() => this.shared.delete(backend));
    }
    return server;
  }

  /**
   * Workers of one host (compose's replicas) share its servers and may all start at once: the one whose
   * create loses to another's takes the winner's container, found by its name, as if it had been there.
   */
  private async startShared(backend: ServerBackend, image: string) {
    // By ID: a twin of the name that a container still holds would make the name "ambiguous".
    const network = await ensureNetwork(this.docker, this.options.network);
    const name = this.sharedName(backend);
    for (let tries = 1; ; tries++) {
      // By name: a container being created holds its name before any listing shows it.
      const existing = await inspectContainer(this.docker, name);
      if (existing && existing.image === image) {
        const pwVar = existing.env.find((e) => e.startsWith(backend === 'postgres' ? 'POSTGRES_PASSWORD=' : 'MARIADB_ROOT_PASSWORD='));
        const rootPassword = pwVar?.split('=').slice(1).join('=') ?? '';
        if (!existing.running) await startContainer(this.docker, existing.id).catch(() => undefined);
        await this.waitReady(existing.id, backend, rootPassword);
        return { id: existing.id, host: name, rootPassword };
      }
      // Another image configured since it was made: replaced.
      if (existing) await removeContainer(this.docker, existing.id).catch(ignoreGone);
      const rootPassword = hex(16);
      let id: string;
      try {
        id = await createService(this.docker, {
          name,
          image,
          env: envFor(backend, rootPassword),
          labels: { [LABEL_KIND]: 'db-server', 'compat.backend': backend, 'compat.host': this.options.hostId },
          limits: { memoryMb: 2048, cpus: 2, pids: 1024 },
          network,
          restartUnlessStopped: true,
          tmpfs: { '/run': 'rw,size=64m', '/tmp': 'rw,size=256m' },
        });
      } catch (error) {
        // 409: another worker of this host created it between our look and our create.
        if (isConflict(error) && tries < 100) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        throw error;
      }
      await startContainer(this.docker, id);
      await this.waitReady(id, backend, rootPassword);
      return { id, host: name, rootPassword };
    }
  }

  private async waitReady(id: string, backend: ServerBackend, rootPassword: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const { cmd, env } = sqlCommand(backend, rootPassword, 'SELECT 1');
        const result = await execIn(this.docker, id, cmd, env, 10_000);
        if (result.exitCode === 0) return;
        last = result.output.trim().split('\n').pop() ?? '';
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new DatabaseError(`${backend} server did not become ready within ${timeoutMs / 1000} s: ${last}`);
  }

  private async sql(id: string, backend: ServerBackend, rootPassword: string, sql: string | string[], database?: string): Promise<string> {
    const { cmd, env } = sqlCommand(backend, rootPassword, sql, database);
    const result = await execIn(this.docker, id, cmd, env, 60_000);
    if (result.exitCode !== 0) throw new DatabaseError(`${backend}: ${result.output.trim().slice(0, 500)}`);
    return result.output;
  }

  /** A fresh database and user on the shared server, visible to nothing else. */
  async createDatabase(backend: ServerBackend, image: string, register: (name: string) => Promise<void>): Promise<CellDatabase> {
    const server = await this.ensureShared(backend, image);
    const name = `c_${hex(6)}`;
    const password = hex(16);
    // Registered before it exists: a worker killed between the two still has it cleaned up.
    await register(name);
    await this.sql(server.id, backend, server.rootPassword, cellDatabaseSql(backend, name, password, this.options.cellLimits ?? DEFAULT_CELL_LIMITS));
    return {
      name,
      url: loginUrl(backend, { database: name, user: name, password }, server.host),
      drop: () => this.dropShared(backend, image, name),
    };
  }

  async dropShared(backend: ServerBackend, image: string, name: string): Promise<void> {
    if (!/^c_[0-9a-f]{12}$/.test(name)) throw new DatabaseError(`refusing to drop "${name}": not a cell database`);
    const server = await this.ensureShared(backend, image);
    const drop =
      backend === 'postgres'
        ? [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `DROP USER IF EXISTS ${name}`]
        : `DROP DATABASE IF EXISTS ${name}; DROP USER IF EXISTS '${name}'@'%';`;
    await this.sql(server.id, backend, server.rootPassword, drop);
  }

  /**
   * Lets the suite's user in without a password, from the cell's loopback only: a line of its own at the
   * top of the server's pg_hba.conf (found by asking the server), then a reload. The names come from the
   * schema-validated config and reach the file as arguments, never as shell text.
   */
  private async trustOnLoopback(id: string, rootPassword: string, fixed: FixedConnectionConfig): Promise<void> {
    const hbaFile = (await this.sql(id, 'postgres', rootPassword, 'SHOW hba_file')).trim();
    const script = 'f=$1; { for a in 127.0.0.1/32 ::1/128; do printf "host %s %s %s trust\\n" "$2" "$3" "$a"; done; cat "$f"; } > "$f.compat" && cat "$f.compat" > "$f" && rm -f "$f.compat"';
    // Any database: a suite may connect to another one it creates (or to `postgres`) as the same user.
    const result = await execIn(this.docker, id, ['sh', '-c', script, 'sh', hbaFile, 'all', fixed.user]);
    if (result.exitCode !== 0) throw new DatabaseError(`postgres: could not let ${fixed.user} in without a password: ${result.output.trim().slice(0, 300)}`);
    await this.sql(id, 'postgres', rootPassword, 'SELECT pg_reload_conf()');
  }

  /** Cell databases present on this host's shared servers. */
  async listCellDatabases(backend: ServerBackend, image: string): Promise<string[]> {
    const server = await this.ensureShared(backend, image);
    const query =
      backend === 'postgres' ? `SELECT datname FROM pg_database WHERE datname LIKE 'c\\_%'` : `SHOW DATABASES LIKE 'c\\_%'`;
    const out = await this.sql(server.id, backend, server.rootPassword, query);
    return out.split('\n').map((l) => l.trim()).filter((l) => /^c_[0-9a-f]{12}$/.test(l));
  }

  /**
   * A server of the cell's own, for a suite that connects to 127.0.0.1 with fixed credentials: its test
   * container joins this container's network namespace. Slower than the shared server, as isolated.
   */
  async startDedicated(backend: ServerBackend, image: string, fixed: FixedConnectionConfig, owner: Owner, limits: { memoryMb: number }): Promise<CellDatabase> {
    const network = await ensureNetwork(this.docker, this.options.network);
    const rootPassword = hex(16);
    const id = await createService(this.docker, {
      image,
      env: envFor(backend, rootPassword),
      labels: {
        [LABEL_KIND]: 'db-dedicated',
        [LABEL_PREFIX]: owner.prefix,
        [LABEL_WORKER]: owner.worker,
        [LABEL_RUN]: owner.runId,
        [LABEL_CELL]: owner.cellId,
      },
      limits: { memoryMb: Math.max(512, limits.memoryMb), cpus: 1, pids: 512 },
      // Own network for the registries the suite's install step may need; the DB listens on its loopback.
      network,
      tmpfs: { '/run': 'rw,size=64m', '/tmp': 'rw,size=256m' },
    });
    // Through the worker's removals: a server the engine could not remove now is retried, not forgotten.
    const removals = this.removals;
    const drop = async () => {
      await removals.remove(id);
    };
    try {
      await startContainer(this.docker, id);
      await this.waitReady(id, backend, rootPassword);
      await this.sql(id, backend, rootPassword, loginSetupSql(backend, fixed));
      if (backend === 'postgres' && fixed.password === undefined) await this.trustOnLoopback(id, rootPassword, fixed);
      if (fixed.setupSql) {
        await this.sql(id, backend, rootPassword, fixed.setupSql, fixed.database);
        const grants = afterSetupSql(backend, fixed);
        if (grants.length) await this.sql(id, backend, rootPassword, grants, fixed.database);
      }
    } catch (error) {
      await drop();
      throw error;
    }
    return {
      name: fixed.database,
      url: loginUrl(backend, fixed),
      networkMode: `container:${id}`,
      drop,
    };
  }
}
