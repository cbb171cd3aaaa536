/**
 * One cell cannot starve the shared database servers (issue 16 item 6): each cell's user has a share of
 * its server, a connection limit and a statement timeout. The servers are real (a host id of this test's
 * own, so a server of its own), the hog is a real container opening 1,000 connections on the network the
 * cells use, and another cell on the same server must still get in and run its queries.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createDocker } from '../common/docker/engine.js';
import { containersWith, ensureNetwork, execIn, LABEL_KIND } from '../workers/container/docker.js';
import { DatabaseServers, type CellDatabase } from '../workers/databases/servers.js';

const docker = createDocker();
const tag = randomUUID().slice(0, 8);
const network = `compat-dblimits-${tag}`;
const hostId = `dblimits-${tag}`;
const PG_IMAGE = 'compat-postgres:15';
const MARIADB_IMAGE = 'compat-mariadb:10.11';
const HOG_CONNECTIONS = 1000;

const servers = new DatabaseServers(docker, { network, hostId, cellLimits: { connections: 50, statementSeconds: 3 } });
const hogs: string[] = [];

afterAll(async () => {
  for (const id of hogs) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  for (const c of await containersWith(docker, { 'compat.host': hostId })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  for (const n of (await docker.listNetworks({ filters: { name: [network] } })).filter((x) => x.Name === network)) {
    await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}, 180_000);

/** A container of `image` on the cells' network that opens `count` connections as `db`'s user, each held for a while. */
async function startHog(image: string, db: CellDatabase, client: 'psql' | 'mariadb', count: number): Promise<string> {
  // argv and env only: the URL travels in a variable. Each client holds its connection idle (waiting on
  // its input, so no statement timeout ends it); each that cannot connect leaves a line in a file.
  const connect = client === 'psql' ? 'psql "$URL" -qAt' : 'mariadb -h "$HOST" -u "$USER_NAME" -D "$DB"';
  const script = `i=0; while [ $i -lt "$N" ]; do (sleep 900 | { ${connect} >/dev/null 2>>/tmp/refused || echo x >> /tmp/failed; }) & i=$((i+1)); done; wait`;
  const u = new URL(db.url);
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['sh', '-c', script],
    Cmd: [],
    Env: [`N=${count}`, `URL=${db.url}`, `HOST=${u.hostname}`, `USER_NAME=${decodeURIComponent(u.username)}`, `MYSQL_PWD=${decodeURIComponent(u.password)}`, `DB=${u.pathname.slice(1)}`],
    Labels: { [LABEL_KIND]: 'test-hog', 'compat.host': hostId },
    HostConfig: { NetworkMode: network, Memory: 6 * 1024 ** 3, PidsLimit: count * 3 + 100, Tmpfs: { '/tmp': 'rw,size=64m' } },
  });
  hogs.push(container.id);
  await container.start();
  return container.id;
}

async function countLines(container: string, file: string): Promise<number> {
  const r = await execIn(docker, container, ['sh', '-c', 'cat "$1" 2>/dev/null | wc -l', 'sh', file]);
  return Number(r.output.trim()) || 0;
}

/** Waits until each of the hog's `count` attempts is either connected (as the server counts) or refused. */
async function settled(hog: string, count: number, connected: () => Promise<number>, timeoutMs = 240_000): Promise<{ connected: number; refused: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = { connected: 0, refused: 0 };
  while (Date.now() < deadline) {
    last = { connected: await connected(), refused: await countLines(hog, '/tmp/failed') };
    if (last.connected + last.refused >= count) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`the hog's ${count} connections did not settle within ${timeoutMs / 1000} s: ${JSON.stringify(last)}`);
}

/** Root's SQL in the server container (root keeps reserved connections, so it gets in whatever cells hold). */
async function asRoot(serverId: string, backend: 'postgres' | 'mysql', sql: string): Promise<string> {
  const env = (await docker.getContainer(serverId).inspect()).Config.Env ?? [];
  const pw = (name: string) => env.find((e) => e.startsWith(`${name}=`))!.slice(name.length + 1);
  const r =
    backend === 'postgres'
      ? await execIn(docker, serverId, ['psql', '-h', '127.0.0.1', '-U', 'postgres', '-qAt', '-c', sql], [`PGPASSWORD=${pw('POSTGRES_PASSWORD')}`])
      : await execIn(docker, serverId, ['mariadb', '-h', '127.0.0.1', '-uroot', '-N', '-B', '-e', sql], [`MYSQL_PWD=${pw('MARIADB_ROOT_PASSWORD')}`]);
  if (r.exitCode !== 0) throw new Error(`root SQL failed: ${r.output}`);
  return r.output.trim();
}

/** Another cell's query, from a client of its own on the same network. */
async function cellQuery(image: string, db: CellDatabase, backend: 'postgres' | 'mysql', sql: string): Promise<{ exitCode: number; output: string }> {
  const u = new URL(db.url);
  const cmd =
    backend === 'postgres'
      ? ['psql', db.url, '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', sql]
      : ['mariadb', '-h', u.hostname, '-u', decodeURIComponent(u.username), '-D', u.pathname.slice(1), '-N', '-B', '-e', sql];
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: cmd,
    Cmd: [],
    Env: [`MYSQL_PWD=${decodeURIComponent(u.password)}`],
    Labels: { [LABEL_KIND]: 'test-client', 'compat.host': hostId },
    HostConfig: { NetworkMode: network, Memory: 256 * 1024 ** 2 },
  });
  try {
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => chunks.push(c));
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    docker.modem.demuxStream(stream, sink, sink);
    const ended = new Promise((r) => stream.on('end', r));
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
    return { exitCode: StatusCode, output: Buffer.concat(chunks).toString('utf8') };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

describe('a cell that opens 1,000 connections to a shared server', () => {
  it('postgres: fails alone; another cell on the same server connects and runs its queries', async () => {
    await ensureNetwork(docker, network);
    const server = await servers.ensureShared('postgres', PG_IMAGE);
    const hogDb = await servers.createDatabase('postgres', PG_IMAGE, async () => undefined);
    const otherDb = await servers.createDatabase('postgres', PG_IMAGE, async () => undefined);
    const hog = await startHog(PG_IMAGE, hogDb, 'psql', HOG_CONNECTIONS);
    const held = () => asRoot(server.id, 'postgres', `SELECT count(*) FROM pg_stat_activity WHERE usename = '${hogDb.name}'`).then(Number);
    const result = await settled(hog, HOG_CONNECTIONS, held);
    console.log(`postgres hog: ${result.connected} connections held, ${result.refused} refused`);
    // The other cell, while the hog holds all it could get.
    const other = await cellQuery(PG_IMAGE, otherDb, 'postgres', 'SELECT 41 + 1');
    expect(other.output).not.toMatch(/too many/);
    expect(other).toMatchObject({ exitCode: 0 });
    expect(other.output.trim()).toBe('42');
    expect(result.connected).toBeLessThanOrEqual(50);
    expect(await countLines(hog, '/tmp/refused')).toBeGreaterThan(0);
    expect(await execIn(docker, hog, ['cat', '/tmp/refused']).then((r) => r.output)).toMatch(/too many connections for role/);
    // A statement past the cell's timeout is cancelled by the server.
    const slow = await cellQuery(PG_IMAGE, otherDb, 'postgres', 'SELECT pg_sleep(30)');
    expect(slow.exitCode).not.toBe(0);
    expect(slow.output).toMatch(/statement timeout/);
    await docker.getContainer(hog).remove({ force: true });
    await hogDb.drop();
    await otherDb.drop();
  }, 600_000);

  it('mysql: fails alone; another cell on the same server connects and runs its queries', async () => {
    await ensureNetwork(docker, network);
    const server = await servers.ensureShared('mysql', MARIADB_IMAGE);
    const hogDb = await servers.createDatabase('mysql', MARIADB_IMAGE, async () => undefined);
    const otherDb = await servers.createDatabase('mysql', MARIADB_IMAGE, async () => undefined);
    const hog = await startHog(MARIADB_IMAGE, hogDb, 'mariadb', HOG_CONNECTIONS);
    const held = () => asRoot(server.id, 'mysql', `SELECT count(*) FROM information_schema.processlist WHERE user = '${hogDb.name}'`).then(Number);
    const result = await settled(hog, HOG_CONNECTIONS, held);
    console.log(`mariadb hog: ${result.connected} connections held, ${result.refused} refused`);
    const other = await cellQuery(MARIADB_IMAGE, otherDb, 'mysql', 'SELECT 41 + 1');
    expect(other.output).not.toMatch(/Too many/i);
    expect(other).toMatchObject({ exitCode: 0 });
    expect(other.output.trim()).toBe('42');
    expect(result.connected).toBeLessThanOrEqual(50);
    expect(await execIn(docker, hog, ['cat', '/tmp/refused']).then((r) => r.output)).toMatch(/max_user_connections/);
    const slow = await cellQuery(MARIADB_IMAGE, otherDb, 'mysql', 'SELECT COUNT(*) FROM information_schema.columns a, information_schema.columns b, information_schema.columns c');
    expect(slow.exitCode).not.toBe(0);
    expect(slow.output).toMatch(/max_statement_time/);
    await docker.getContainer(hog).remove({ force: true });
    await hogDb.drop();
    await otherDb.drop();
  }, 600_000);
});
