/**
 * Workers of one host started together (compose's replicas) share the host's network, database
 * servers and data dir (git mirrors, artifacts). Each asks for them at the same moment; they must end with one of each, used by all, and no
 * worker may fail for having lost the race. The engine is real: Docker 20.10 creates two networks of one
 * name when not told to check, and then every container naming the network fails.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../common/config.js';
import { makeRepo } from './helpers/git-fixtures.js';
import { createDocker } from '../common/docker/engine.js';
import { containersWith, ensureNetwork, LABEL_KIND } from '../workers/container/docker.js';
import { DatabaseServers } from '../workers/databases/servers.js';

const docker = createDocker();
const tag = randomUUID().slice(0, 8);
const network = `compat-race-${tag}`;
const hostId = `race-${tag}`;
const PG_IMAGE = 'compat-postgres:15';

async function networksNamed(name: string) {
  return (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
}

afterAll(async () => {
  for (const c of await containersWith(docker, { 'compat.host': hostId })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  for (const n of await networksNamed(network)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
}, 120_000);

describe('workers of one host starting at once', () => {
  it('end with one network of the name, whoever asked', async () => {
    await Promise.all(Array.from({ length: 8 }, () => ensureNetwork(docker, network)));
    expect(await networksNamed(network)).toHaveLength(1);
  }, 60_000);

  it('heal the twins an earlier run left: the oldest stays, and every caller is given its ID', async () => {
    const left = `${network}-left`;
    try {
      // Docker 20.10 makes twins of one name when not told to check, as racing creators did.
      const first = await docker.createNetwork({ Name: left, Driver: 'bridge', CheckDuplicate: false });
      await docker.createNetwork({ Name: left, Driver: 'bridge', CheckDuplicate: false });
      expect(await networksNamed(left)).toHaveLength(2);
      const ids = await Promise.all(Array.from({ length: 3 }, () => ensureNetwork(docker, left)));
      expect(new Set(ids)).toEqual(new Set([first.id]));
      expect((await networksNamed(left)).map((n) => n.Id)).toEqual([first.id]);
    } finally {
      for (const n of await networksNamed(left)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
  }, 60_000);

  it('share one database server: every worker gets it, and a database of its own on it', async () => {
    const workers = Array.from({ length: 3 }, () => new DatabaseServers(docker, { network, hostId }));
    const servers = await Promise.all(workers.map((w) => w.ensureShared('postgres', PG_IMAGE)));
    expect(new Set(servers.map((s) => s.id)).size).toBe(1);
    expect((await containersWith(docker, { [LABEL_KIND]: 'db-server', 'compat.host': hostId })).map((c) => c.Id)).toEqual([servers[0]!.id]);
    // The password each read from the winner's container is the one the server has.
    const databases = await Promise.all(workers.map((w) => w.createDatabase('postgres', PG_IMAGE, async () => undefined)));
    expect(new Set(databases.map((d) => d.name)).size).toBe(3);
    await Promise.all(databases.map((d) => d.drop()));
  }, 240_000);

  it('share one data dir: processes cloning the same mirror at once each get a whole checkout', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-race-'));
    const repo = makeRepo(path.join(dir, 'repo'), [{ tag: 'v1', files: { 'app.txt': 'v1 of the app' } }]);
    const script = path.join(dir, 'clone.mts');
    writeFileSync(
      script,
      `import { Mirror } from ${JSON.stringify(path.join(REPO_ROOT, 'common/git/mirror.ts'))};
const mirror = Mirror.for(process.env.DATA_DIR!, process.env.REPO!);
await mirror.update();
await mirror.checkout((await mirror.resolve('v1'))!, process.env.DEST!);
`,
    );
    const run = promisify(execFile);
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        run(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, env: { ...process.env, DATA_DIR: path.join(dir, 'data'), REPO: repo, DEST: path.join(dir, `checkout${i}`) } }),
      ),
    );
    for (let i = 0; i < 4; i++) expect(readFileSync(path.join(dir, `checkout${i}`, 'app.txt'), 'utf8')).toBe('v1 of the app');
  }, 120_000);
});
