import { describe, expect, it } from 'vitest';
import { classifyRemovalError, ContainerRemovals, removalBackoffMs, removalErrorText } from './removal.js';
import { engineAnswer, engineAway, engineRefusal } from './engine-errors.test-helper.js';

const ID = '3f9c2a7d1b5e';
const REAL = `Error response from daemon: container ${ID}: driver "overlay2" failed to remove root filesystem: unlinkat /var/lib/docker/overlay2/${ID}/merged: device or resource busy`;

describe('classifyRemovalError', () => {
  it("reads the engine's driver error (500) as a container the engine holds", () => {
    expect(classifyRemovalError(engineRefusal(ID))).toBe('engine-held');
    // As the docker CLI prints it, too.
    expect(classifyRemovalError(Object.assign(new Error(REAL), { statusCode: 500 }))).toBe('engine-held');
    expect(classifyRemovalError(engineAnswer(409, `removal of container ${ID} is already in progress`))).toBe('engine-held');
    expect(classifyRemovalError(engineAnswer(500, `container ${ID}: unable to remove filesystem: device or resource busy`))).toBe('engine-held');
  });

  it('tells it from a container that is gone, an engine that is away, and other engine errors', () => {
    expect(classifyRemovalError(engineAnswer(404, `No such container: ${ID}`))).toBe('gone');
    expect(classifyRemovalError(engineAway())).toBe('retry');
    expect(classifyRemovalError(engineAnswer(500, 'Cannot connect to the Docker daemon'))).toBe('retry');
    // The same words without the engine's answer (a proxy's, a test's) are not the engine refusing.
    expect(classifyRemovalError(new Error(REAL))).toBe('retry');
  });

  it("keeps the engine's own words", () => {
    expect(removalErrorText(engineRefusal(ID))).toBe(`container ${ID}: driver "overlay2" failed to remove root filesystem: unlinkat /var/lib/docker/overlay2/${ID}/merged: device or resource busy`);
  });
});

describe('removalBackoffMs', () => {
  it('doubles from the first wait up to the longest, jittered in its upper half', () => {
    expect([1, 2, 3, 4].map((n) => removalBackoffMs(n, () => 1))).toEqual([2000, 4000, 8000, 16000]);
    expect(removalBackoffMs(30, () => 1)).toBe(300_000);
    expect(removalBackoffMs(3, () => 0)).toBe(4000);
  });
});

function removalsWith(failures: Map<string, () => Error>) {
  let now = Date.parse('2026-12-03T18:00:00Z');
  const tries: string[] = [];
  const warnings: Array<{ meta: object; message: string }> = [];
  const infos: string[] = [];
  const removals = new ContainerRemovals({
    remove: async (id) => {
      tries.push(id);
      const fail = failures.get(id);
      if (fail) throw fail();
    },
    log: { warn: (meta, message) => warnings.push({ meta, message }), info: (_meta, message) => infos.push(message) },
    now: () => now,
    random: () => 1,
  });
  return { removals, tries, warnings, infos, advance: (ms: number) => (now += ms), now: () => now };
}

describe('ContainerRemovals', () => {
  it('a container the engine refuses is held: logged once, retried with backoff, named with its error and since when', async () => {
    const w = removalsWith(new Map([[ID, () => engineRefusal(ID)]]));
    const since = new Date(w.now()).toISOString();
    expect(await w.removals.remove(ID, 'cell-x-slow.sqlite-candidate-0')).toBe('held');
    expect(w.removals.isPending(ID)).toBe(true);
    expect(w.removals.held()).toEqual([
      { id: ID, name: 'cell-x-slow.sqlite-candidate-0', error: expect.stringMatching(/failed to remove root filesystem.*device or resource busy/), since, attempts: 1, lastTriedAt: since },
    ]);
    // Not yet due: neither a janitor finding it again nor a sweep asks the engine.
    expect(await w.removals.remove(ID)).toBe('held');
    expect(await w.removals.retryDue()).toBe(0);
    expect(w.tries).toHaveLength(1);
    w.advance(2000);
    expect(await w.removals.retryDue()).toBe(0);
    w.advance(3999);
    await w.removals.retryDue();
    expect(w.tries).toHaveLength(2); // the second wait is 4 s
    w.advance(1);
    await w.removals.retryDue();
    expect(w.tries).toHaveLength(3);
    expect(w.removals.held()[0]).toMatchObject({ since, attempts: 3 });
    expect(w.warnings).toHaveLength(1);
    expect(w.warnings[0].message).toMatch(/held by the engine/);
    expect(w.warnings[0].meta).toMatchObject({ container: ID, error: expect.stringContaining('device or resource busy') });
  });

  it('a held container that the engine lets go at last is removed and no longer named', async () => {
    const failures = new Map([[ID, () => engineRefusal(ID)]]);
    const w = removalsWith(failures);
    await w.removals.remove(ID);
    failures.delete(ID);
    w.advance(2000);
    expect(await w.removals.retryDue()).toBe(1);
    expect(w.removals.held()).toEqual([]);
    expect(w.removals.isPending(ID)).toBe(false);
    expect(w.infos).toEqual(['Container the engine held is removed at last']);
  });

  it('an engine that is away is retried, not reported as holding anything; a container gone meanwhile is done', async () => {
    const failures = new Map<string, () => Error>([['a', engineAway], ['b', engineAway]]);
    const w = removalsWith(failures);
    expect(await w.removals.remove('a')).toBe('pending');
    expect(await w.removals.remove('b')).toBe('pending');
    expect(w.removals.held()).toEqual([]);
    failures.set('a', () => engineAnswer(404, 'No such container: a'));
    failures.delete('b');
    w.advance(2000);
    expect(await w.removals.retryDue()).toBe(2);
    expect(w.removals.isPending('a') || w.removals.isPending('b')).toBe(false);
    expect(w.warnings).toEqual([]);
  });

  it('a removal that works at once leaves nothing behind', async () => {
    const w = removalsWith(new Map());
    expect(await w.removals.remove('c')).toBe('removed');
    expect(w.removals.isPending('c')).toBe(false);
  });

  it('removals of one container asked for at once (sides starting together after an outage) send one request', async () => {
    let release!: () => void;
    let requests = 0;
    const removals = new ContainerRemovals({
      remove: async () => {
        requests++;
        await new Promise<void>((r) => (release = r));
      },
      log: { warn: () => undefined, info: () => undefined },
    });
    const first = removals.remove('d');
    const again = [removals.remove('d'), removals.retryDue(), removals.remove('d', 'named')];
    release();
    expect(await first).toBe('removed');
    expect(await Promise.all(again)).toEqual(['removed', 0, 'removed']);
    expect(requests).toBe(1);
  });
});
