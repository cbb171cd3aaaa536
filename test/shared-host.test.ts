/**
 * Workers of one host started together (compose's replicas) share the host's network and database
 * servers. Each asks for them at the same moment; they must end with one of each, used by all, and no
 * worker may fail for having lost the race. The engine is real: Docker 20.10 creates two networks of one
 * name when not told to check, and then every container naming the network fails.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { containersWith, createDocker, ensureNetwork, LABEL_KIND } from '../workers/container/docker.js';
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
});
