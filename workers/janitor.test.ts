import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sweepOrphans, type JanitorPorts } from './janitor.js';
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
      remove: async (id) => void containers.delete(id),
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
});
