/**
 * The schema readers on real PostgreSQL and MariaDB servers (issue 19 item 2), through the path the
 * worker takes: a cell database on a shared server, read from inside its server's container as the
 * cell's own user. The same migrations in two cell databases give the same document (their names
 * differ, as on two cells or two worker hosts), and each kind of change is found, and nothing else.
 * SQLite's reader is tested on real SQLite files in workers/schema/sqlite.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createDocker } from '../common/docker/engine.js';
import { diffSchemas } from '../common/schema/diff.js';
import type { SchemaDocument } from '../common/schema/document.js';
import { containersWith, execIn } from '../workers/container/docker.js';
import { DatabaseServers, type CellDatabase } from '../workers/databases/servers.js';
import { loginFromUrl } from '../workers/schema/rows.js';
import { schemaReader, serverContainerOf } from '../workers/schema/read.js';

const docker = createDocker();
const tag = randomUUID().slice(0, 8);
const network = `compat-schema-${tag}`;
const hostId = `schema-${tag}`;
const IMAGES = { postgres: 'compat-postgres:15', mysql: 'compat-mariadb:10.11' } as const;
const servers = new DatabaseServers(docker, { network, hostId });
const read = schemaReader(docker);

afterAll(async () => {
  for (const c of await containersWith(docker, { 'compat.host': hostId })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  for (const n of (await docker.listNetworks({ filters: { name: [network] } })).filter((x) => x.Name === network)) {
    await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}, 180_000);

const MIGRATIONS = {
  postgres: `
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (id serial PRIMARY KEY, email varchar(255) NOT NULL, age integer DEFAULT 18 CHECK (age > 0), mood mood);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE TABLE orders (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE, total numeric(10,2) NOT NULL, code text UNIQUE);
CREATE INDEX ix_orders_big ON orders (total) WHERE total > 100;
CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;`,
  mysql: `
CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL, age INT DEFAULT 18 CHECK (age > 0), mood ENUM('happy', 'sad'));
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, total DECIMAL(10,2) NOT NULL, code VARCHAR(50) UNIQUE,
  CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE);
CREATE INDEX ix_orders_big ON orders (total);
CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;`,
};

type Backend = keyof typeof MIGRATIONS;

/** Runs `sql` in a fresh cell database as its own user (as a consumer's migrate would), then reads it as the worker does. */
async function migrated(backend: Backend, sql: string): Promise<SchemaDocument> {
  const db: CellDatabase = await servers.createDatabase(backend, IMAGES[backend], async () => undefined);
  try {
    const container = serverContainerOf(backend, db);
    const login = loginFromUrl(backend, container, db.url);
    const run =
      backend === 'postgres'
        ? { cmd: ['psql', '-X', '-h', '127.0.0.1', '-U', login.user, '-d', login.database, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], env: [`PGPASSWORD=${login.password}`] }
        : { cmd: ['mariadb', '-h', '127.0.0.1', '-u', login.user, '-D', login.database, '-e', sql], env: [`MYSQL_PWD=${login.password}`] };
    const result = await execIn(docker, container, run.cmd, run.env);
    if (result.exitCode !== 0) throw new Error(`migrations failed on ${backend}: ${result.output}`);
    return await read({ backend, container, url: db.url });
  } finally {
    await db.drop();
  }
}

/** Each kind of change, as a replacement in the migrations, and what the diff must name (and nothing else). */
const CASES: Record<Backend, Array<[string, string, string, Array<[string, string]>]>> = {
  postgres: [
    ["a column's type", 'total numeric(10,2)', 'total numeric(12,2)', [['table orders / column total', 'changed']]],
    ["a column's nullability", 'user_id integer NOT NULL', 'user_id integer', [['table orders / column user_id', 'changed']]],
    ["a column's default", 'DEFAULT 18', 'DEFAULT 21', [['table users / column age', 'changed']]],
    ['an index lost', 'CREATE UNIQUE INDEX ix_users_email ON users (email);', '', [['table users / index ix_users_email', 'removed']]],
    ['an index made non-unique', 'CREATE UNIQUE INDEX ix_users_email', 'CREATE INDEX ix_users_email', [['table users / index ix_users_email', 'changed']]],
    ["a column's unique flag lost", 'code text UNIQUE', 'code text', [['table orders / unique (code)', 'removed']]],
    ["a partial index's predicate", 'WHERE total > 100', 'WHERE total > 200', [['table orders / index ix_orders_big', 'changed']]],
    ["a foreign key's on-delete", 'ON DELETE CASCADE', 'ON DELETE RESTRICT', [['table orders / foreign key (user_id)', 'changed']]],
    ['a check constraint', 'CHECK (age > 0)', 'CHECK (age >= 0)', [['table users / check CHECK (age >= 0)', 'added'], ['table users / check CHECK (age > 0)', 'removed']]],
    ['an enum value', "ENUM ('happy', 'sad')", "ENUM ('happy', 'sad', 'meh')", [['enum mood', 'changed']]],
  ],
  mysql: [
    ["a column's type", 'total DECIMAL(10,2)', 'total DECIMAL(12,2)', [['table orders / column total', 'changed']]],
    ["a column's nullability", 'user_id INT NOT NULL', 'user_id INT NULL', [['table orders / column user_id', 'changed']]],
    ["a column's default", 'DEFAULT 18', 'DEFAULT 21', [['table users / column age', 'changed']]],
    ['an index lost', 'CREATE UNIQUE INDEX ix_users_email ON users (email);', '', [['table users / index ix_users_email', 'removed']]],
    ['an index made non-unique', 'CREATE UNIQUE INDEX ix_users_email', 'CREATE INDEX ix_users_email', [['table users / index ix_users_email', 'changed']]],
    ["a column's unique flag lost", 'code VARCHAR(50) UNIQUE', 'code VARCHAR(50)', [['table orders / index (code)', 'removed']]],
    ["a foreign key's on-delete", 'ON DELETE CASCADE', 'ON DELETE RESTRICT', [['table orders / foreign key (user_id)', 'changed']]],
    ['a check constraint', 'CHECK (age > 0)', 'CHECK (age >= 0)', [['table users / check `age` >= 0', 'added'], ['table users / check `age` > 0', 'removed']]],
    ['an enum value', "ENUM('happy', 'sad')", "ENUM('happy', 'sad', 'meh')", [['table users / column mood', 'changed']]],
  ],
};

for (const backend of ['postgres', 'mysql'] as const) {
  describe(`${backend} schema reader`, { timeout: 180_000 }, () => {
    let base: SchemaDocument;

    it('reads the same document from the same migrations in two cell databases', async () => {
      base = await migrated(backend, MIGRATIONS[backend]);
      const again = await migrated(backend, MIGRATIONS[backend]);
      expect(JSON.stringify(again)).toBe(JSON.stringify(base));
      expect(Object.keys(base.objects)).toEqual(expect.arrayContaining(['table users', 'table users / index ix_users_email', 'table orders / foreign key (user_id)', 'view adults']));
      // The cell database's own name is nowhere in the document: it differs from cell to cell.
      expect(JSON.stringify(base)).not.toMatch(/c_[0-9a-f]{12}/);
    });

    for (const [what, from, to, expected] of CASES[backend]) {
      it(`finds ${what}, and nothing else`, async () => {
        expect(MIGRATIONS[backend]).toContain(from);
        const changed = await migrated(backend, MIGRATIONS[backend].replace(from, to));
        const found = diffSchemas(base, changed).map((c) => [c.object, c.change]);
        expect(found.sort()).toEqual([...expected].sort());
      });
    }
  });
}
