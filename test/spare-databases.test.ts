/**
 * Spare cell databases on the real shared PostgreSQL server: made ahead, each handed out once,
 * registered while they exist, dropped and unregistered when the pool closes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { logger } from '../common/logger.js';
import { loadConfig } from '../common/config.js';
import { createDocker } from '../common/docker/engine.js';
import { DatabaseServers } from '../workers/databases/servers.js';
import { SpareDatabases } from '../workers/databases/spare-pool.js';
import type { CellDatabase } from '../workers/databases/servers.js';

const IMAGE = 'compat-postgres:15';
const config = loadConfig();
const servers = new DatabaseServers(createDocker(), { network: config.network, hostId: config.hostId });
const registered = new Set<string>();
const claimed = new Set<string>();
const taken: CellDatabase[] = [];

afterAll(async () => {
  for (const db of taken) await db.drop().catch(() => undefined);
});

describe('spare cell databases', () => {
  it('hands each database out once, keeps spares registered, drops them on close', async () => {
    const pool = new SpareDatabases(
      {
        databases: servers,
        register: async (name) => void registered.add(name),
        claim: async (name) => void (registered.delete(name), claimed.add(name)),
        unregister: async (name) => void registered.delete(name),
        release: () => undefined,
        log: logger,
      },
      2,
    );
    taken.push(await pool.take('postgres', IMAGE, 'r1'));
    // The pool refills in the background; wait for it (no time bound: the host may be slow).
    while (pool.names().length < 2) await new Promise((r) => setTimeout(r, 200));
    const spares = pool.names();
    taken.push(await pool.take('postgres', IMAGE, 'r1'), await pool.take('postgres', IMAGE, 'r1'));
    // The two taken after the refill are the spares, handed out once each.
    expect(taken.slice(1).map((d) => d.name).sort()).toEqual([...spares].sort());
    expect(new Set(taken.map((d) => d.name)).size).toBe(3);
    const present = await servers.listCellDatabases('postgres', IMAGE);
    for (const db of taken) expect(present).toContain(db.name);
    // Taken ones are the cells' (claimed), spares stay registered as spares.
    for (const db of taken) expect(claimed).toContain(db.name);
    for (const name of pool.names()) expect(registered).toContain(name);

    const refilled = (async () => {
      while (pool.names().length < 1) await new Promise((r) => setTimeout(r, 200));
    })();
    await refilled;
    const left = pool.names();
    await pool.close();
    expect(pool.names()).toEqual([]);
    const after = await servers.listCellDatabases('postgres', IMAGE);
    for (const name of left) {
      expect(after).not.toContain(name);
      expect(registered).not.toContain(name);
    }
  });
});
