import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { FixedConnectionConfig } from '../../common/matrix/schema.js';
import type { CellDatabase, Owner, ServerBackend } from './servers.js';
import { SPARE_OWNER, SpareServers } from './spare-servers.js';

const FIXED: FixedConnectionConfig = { database: 'legacy_test', user: 'legacy', password: 'pw' };
const owner = (cellId: string): Owner => ({ prefix: 'p', worker: 'w', runId: 'r1', cellId });

/** Servers as the engine would give them: each started for an owner, boots when released, removed once. */
function fakeEngine() {
  const started: Array<{ name: string; owner: Owner; boot: (ok: boolean) => void }> = [];
  const removed: string[] = [];
  const start = (_backend: ServerBackend, _image: string, _fixed: FixedConnectionConfig, o: Owner): Promise<CellDatabase> =>
    new Promise((resolve, reject) => {
      const name = `s${started.length + 1}`;
      started.push({
        name,
        owner: o,
        boot: (ok) =>
          ok ? resolve({ name, url: `postgresql://legacy@127.0.0.1/${name}`, networkMode: `container:${name}`, drop: async () => void removed.push(name) }) : reject(new Error(`${name} did not start`)),
      });
    });
  return { started, removed, start };
}

const log = pino({ level: 'silent' });

describe('spare dedicated servers', () => {
  it('the first cell starts its own and a spare; the next takes the spare, and another is started', async () => {
    const engine = fakeEngine();
    const pool = new SpareServers({ start: engine.start, log }, { prefix: 'p', worker: 'w' });
    const first = pool.take('postgres', 'pg', FIXED, owner('a'), { memoryMb: 512 });
    expect(engine.started.map((s) => s.owner.cellId)).toEqual([SPARE_OWNER, 'a']);
    engine.started.forEach((s) => s.boot(true));
    expect((await first).name).toBe('s2');

    const second = await pool.take('postgres', 'pg', FIXED, owner('b'), { memoryMb: 512 });
    expect(second.name).toBe('s1');
    expect(engine.started.map((s) => s.owner.cellId)).toEqual([SPARE_OWNER, 'a', SPARE_OWNER]);
    // Another connection (or memory) is another kind of server: never handed a spare of the first.
    const other = pool.take('postgres', 'pg', { ...FIXED, user: 'other' }, owner('c'), { memoryMb: 512 });
    expect(engine.started.slice(3).map((s) => s.owner.cellId)).toEqual([SPARE_OWNER, 'c']);
    engine.started.forEach((s) => s.boot(true));
    expect((await other).name).toBe('s5');

    await pool.close();
    expect(engine.removed.sort()).toEqual(['s3', 's4']);
    // Closed: a cell still gets a server, and no spare is started for it.
    const late = pool.take('postgres', 'pg', FIXED, owner('d'), { memoryMb: 512 });
    expect(engine.started.map((s) => s.owner.cellId).slice(5)).toEqual(['d']);
    engine.started[5]!.boot(true);
    await late;
  });

  it('a spare that fails to start costs the cell nothing but the wait: it starts its own', async () => {
    const engine = fakeEngine();
    const pool = new SpareServers({ start: engine.start, log }, { prefix: 'p', worker: 'w' });
    const first = pool.take('mysql', 'maria', FIXED, owner('a'), { memoryMb: 512 });
    engine.started[0]!.boot(false);
    engine.started[1]!.boot(true);
    await first;
    const second = pool.take('mysql', 'maria', FIXED, owner('b'), { memoryMb: 512 });
    await new Promise((r) => setImmediate(r));
    expect(engine.started.map((s) => s.owner.cellId)).toEqual([SPARE_OWNER, 'a', SPARE_OWNER, 'b']);
    engine.started.slice(2).forEach((s) => s.boot(true));
    expect((await second).name).toBe('s4');
    await pool.close();
  });

  it('a spare nobody takes within the idle time is removed', async () => {
    const engine = fakeEngine();
    const pool = new SpareServers({ start: engine.start, log }, { prefix: 'p', worker: 'w' }, 20);
    const first = pool.take('postgres', 'pg', FIXED, owner('a'), { memoryMb: 512 });
    engine.started.forEach((s) => s.boot(true));
    await first;
    expect(pool.size).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(pool.size).toBe(0);
    expect(engine.removed).toEqual(['s1']);
    await pool.close();
  });
});
