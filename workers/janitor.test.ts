import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sweepOrphans, type JanitorPorts } from './janitor.js';
import { ContainerRemovals } from './container/removal.js';
import { engineRefusal } from './container/engine-errors.test-helper.js';
import type { ServerBackend } from './databases/servers.js';

/** An engine and a database registry in memory: containers by id, databases by name. */
function world(options: { alive: string[]; stray?: string[]; failingDrops?: string[]; leftovers?: number }) {
  const containers = new Map([
    ['c1', { id: 'c1', name: '/cell-dead', kind: 'cell', worker: 'dead' }],
    ['c2', { id: 'c2', name: '/cell-live', kind: 'cell', worker: 'live' }],
    ['c3', { id: 'c3', name: '/build-dead', kind: 'build', worker: 'dead' }],
  ]);
  const registry = new Map<string, { worker: string; backend: ServerBackend; image: string }>([
    ['c_000000000001', { worker: 'dead', backend: 'postgres', image: 'pg' }],
    ['c_000000000002', { worker: 'live', backend: 'mysql', image: 'maria' }],
    ['c_000000000003', { worker: 'live', backend: 'postgres', image: 'pg' }],
  ]);
  const dropped: string[] = [];
  const livenessAsked: string[] = [];
  const ports: JanitorPorts = {
    prefix: 'unit',
    containers: {
      removeLeftovers: async () => options.leftovers ?? 0,
      listOwned: async (prefix) => (prefix === 'unit' ? [...containers.values()] : []),
      remove: async (id) => (containers.delete(id), 'removed' as const),
    },
    databases: {
      async dropShared(_backend, _image, name) {
        if (options.failingDrops?.includes(name)) throw new Error('engine away');
        dropped.push(name);
      },
    },
    isWorkerAlive: async (id) => (livenessAsked.push(id), options.alive.includes(id)),
    registeredDatabases: async () => [...registry].map(([name, info]) => ({ name, ...info })),
    unregisterDatabase: async (name) => void registry.delete(name),
    isStrayDatabase: (name) => options.stray?.includes(name) ?? false,
    log: pino({ level: 'silent' }),
  };
  return { ports, containers, registry, dropped, livenessAsked };
}

describe('sweepOrphans', () => {
  it('removes the containers and databases of dead workers only, asking once per worker', async () => {
    const w = world({ alive: ['live'], leftovers: 2 });
    expect(await sweepOrphans(w.ports)).toEqual({ containers: 4, databases: 1 });
    expect([...w.containers.keys()]).toEqual(['c2']);
    expect(w.dropped).toEqual(['c_000000000001']);
    expect([...w.registry.keys()]).toEqual(['c_000000000002', 'c_000000000003']);
    expect(w.livenessAsked.sort()).toEqual(['dead', 'live']);
  });

  it('drops a live worker\'s database that no cell of it uses any more', async () => {
    const w = world({ alive: ['live', 'dead'], stray: ['c_000000000003'] });
    expect(await sweepOrphans(w.ports)).toEqual({ containers: 0, databases: 1 });
    expect(w.dropped).toEqual(['c_000000000003']);
  });

  it('a drop that fails keeps the database registered, for the next sweep', async () => {
    const w = world({ alive: [], failingDrops: ['c_000000000002'] });
    expect(await sweepOrphans(w.ports)).toMatchObject({ databases: 2 });
    expect([...w.registry.keys()]).toEqual(['c_000000000002']);
  });

  it('a dead worker\'s container the engine refuses to remove is not counted removed: it is held, retried, reported', async () => {
    const w = world({ alive: ['live'] });
    let now = 1_000_000;
    const tries: string[] = [];
    const removals = new ContainerRemovals({
      remove: async (id) => {
        tries.push(id);
        if (id === 'c1') throw engineRefusal(id);
        w.containers.delete(id);
      },
      log: pino({ level: 'silent' }),
      now: () => now,
      random: () => 1,
    });
    w.ports.containers.remove = (id, name) => removals.remove(id, name);
    w.ports.containers.removeLeftovers = () => removals.retryDue();
    expect(await sweepOrphans(w.ports)).toEqual({ containers: 1, databases: 1 });
    expect([...w.containers.keys()].sort()).toEqual(['c1', 'c2']);
    expect(removals.held()).toMatchObject([{ id: 'c1', name: '/cell-dead', attempts: 1, error: expect.stringContaining('failed to remove root filesystem') }]);
    // The next sweep within the backoff does not ask the engine again; one after it does.
    await sweepOrphans(w.ports);
    expect(tries.filter((t) => t === 'c1')).toHaveLength(1);
    now += 2000;
    expect(await sweepOrphans(w.ports)).toMatchObject({ containers: 0 });
    expect(tries.filter((t) => t === 'c1').length).toBeGreaterThanOrEqual(2);
    expect(removals.held()[0]).toMatchObject({ id: 'c1', attempts: 2 });
  });
});
