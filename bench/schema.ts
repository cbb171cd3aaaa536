/**
 * `npm run bench -- schema` (issue 19): what reading and diffing a 50-table schema adds to a side, on
 * each backend, through the worker's own path: a cell database on a real server (a host id of the
 * bench's own, removed afterwards) read from inside the server's container as the cell's user, and a
 * real SQLite file read on the host. Prints the median of 5 reads and diffs per backend, and the
 * migrations' own time beside it (what a side without `schema:` would run anyway).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDocker } from '../common/docker/engine.js';
import { diffSchemas } from '../common/schema/diff.js';
import { containersWith, execIn } from '../workers/container/docker.js';
import { DatabaseServers } from '../workers/databases/servers.js';
import { loginFromUrl } from '../workers/schema/rows.js';
import { schemaReader, serverContainerOf } from '../workers/schema/read.js';

const TABLES = 50;
const ROUNDS = 5;

/** 50 tables, each with 8 columns, a primary key, a unique column, an index, a check, and a foreign key to the one before. */
export function fiftyTables(backend: 'sqlite' | 'postgres' | 'mysql'): string {
  const serial = backend === 'postgres' ? 'serial PRIMARY KEY' : backend === 'mysql' ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'INTEGER PRIMARY KEY';
  const text = backend === 'mysql' ? 'VARCHAR(200)' : 'varchar(200)';
  const out: string[] = [];
  for (let i = 0; i < TABLES; i++) {
    const fk = i === 0 ? '' : `, parent_id INT REFERENCES t${i - 1} (id) ON DELETE CASCADE`;
    out.push(
      `CREATE TABLE t${i} (id ${serial}, code ${text} NOT NULL UNIQUE, name ${text}, qty INT DEFAULT 0 CHECK (qty >= 0), price DECIMAL(10,2), note ${text}, created_at TIMESTAMP NULL, flag INT NOT NULL DEFAULT 1${fk});`,
      `CREATE INDEX ix_t${i}_name ON t${i} (name, qty);`,
    );
  }
  return out.join('\n');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchSchema(): Promise<void> {
  const docker = createDocker();
  const tag = randomUUID().slice(0, 8);
  const network = `compat-bench-schema-${tag}`;
  const hostId = `bench-schema-${tag}`;
  const servers = new DatabaseServers(docker, { network, hostId });
  const read = schemaReader(docker);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-schema-'));
  try {
    // SQLite: the file as a side's migrations leave it.
    {
      const file = path.join(dir, 'test.sqlite');
      const t0 = performance.now();
      execFileSync('sqlite3', [file], { input: fiftyTables('sqlite') });
      const migrateMs = performance.now() - t0;
      const times: number[] = [];
      let objects = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const start = performance.now();
        const a = await read({ backend: 'sqlite', file, scratch: dir });
        const b = await read({ backend: 'sqlite', file, scratch: dir });
        if (diffSchemas(a, b).length) throw new Error('sqlite: two reads differ');
        times.push((performance.now() - start) / 2);
        objects = Object.keys(a.objects).length;
      }
      console.log(`schema: sqlite ${TABLES} tables (${objects} objects): read+diff median ${median(times).toFixed(0)} ms per side (migrations ${migrateMs.toFixed(0)} ms)`);
    }
    for (const [backend, image] of [['postgres', 'compat-postgres:15'], ['mysql', 'compat-mariadb:10.11']] as const) {
      const db = await servers.createDatabase(backend, image, async () => undefined);
      try {
        const container = serverContainerOf(backend, db);
        const login = loginFromUrl(backend, container, db.url);
        const sql = fiftyTables(backend);
        const run =
          backend === 'postgres'
            ? { cmd: ['psql', '-X', '-h', '127.0.0.1', '-U', login.user, '-d', login.database, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], env: [`PGPASSWORD=${login.password}`] }
            : { cmd: ['mariadb', '-h', '127.0.0.1', '-u', login.user, '-D', login.database, '-e', sql], env: [`MYSQL_PWD=${login.password}`] };
        const t0 = performance.now();
        const migrate = await execIn(docker, container, run.cmd, run.env);
        if (migrate.exitCode !== 0) throw new Error(`${backend} migrations failed: ${migrate.output}`);
        const migrateMs = performance.now() - t0;
        const times: number[] = [];
        let objects = 0;
        let base = await read({ backend, container, url: db.url });
        for (let i = 0; i < ROUNDS; i++) {
          const start = performance.now();
          const doc = await read({ backend, container, url: db.url });
          if (diffSchemas(base, doc).length) throw new Error(`${backend}: two reads differ`);
          times.push(performance.now() - start);
          objects = Object.keys(doc.objects).length;
          base = doc;
        }
        console.log(`schema: ${backend} ${TABLES} tables (${objects} objects): read+diff median ${median(times).toFixed(0)} ms per side, max ${Math.max(...times).toFixed(0)} ms (migrations ${migrateMs.toFixed(0)} ms)`);
      } finally {
        await db.drop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const c of await containersWith(docker, { 'compat.host': hostId })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    for (const n of (await docker.listNetworks({ filters: { name: [network] } })).filter((x) => x.Name === network)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}
