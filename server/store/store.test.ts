/**
 * The store's edge: JSON columns come out parsed and typed, a value of the wrong shape fails naming the
 * run, cell and field, and keys a trigger added survive the round trip. A real SQLite file in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import { StoredDataError } from './schema.js';
import { Store, type NewRun } from './store.js';

const consumer: ResolvedConsumer = {
  name: 'app',
  repo: 'https://git.example.org/app.git',
  ref: 'v1.0.0',
  image: 'compat-runner:bookworm',
  installCandidate: 'npm install "$COMPAT_ARTIFACT_DIR"/*.tgz',
  test: 'npm test',
  backends: ['sqlite', 'postgres'],
  env: { DB: '${DATABASE_URL}' },
  secretEnv: ['TOKEN'],
  timeoutSeconds: 60,
  resources: { memoryMb: 256, cpus: 1, pids: 64, diskMb: 1024 },
};

const plan = {
  library: { name: 'lib', repo: 'https://git.example.org/lib.git', image: 'compat-runner:bookworm', command: 'npm pack', timeoutSeconds: 600 },
  databases: { postgres: { image: 'compat-postgres:15' }, mysql: { image: 'compat-mariadb:10.11' } },
};

function run(id: string, meta: NewRun['meta']): NewRun {
  return {
    id,
    library: 'lib',
    candidate: 'v1.1.0',
    baseline: 'v1.0.0',
    candidateVersion: '1.1.0',
    baselineVersion: '1.0.0',
    candidateSha: 'c'.repeat(40),
    baselineSha: 'b'.repeat(40),
    trigger: 'api',
    reruns: 2,
    meta,
  };
}

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'compat-store-'));
  store = new Store(Store.fileIn(dir));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('JSON columns at the store edge', () => {
  it('gives back meta and consumer config typed, with a trigger\'s own keys kept', () => {
    store.insertRun(run('r1', { plan, requestedBy: 'ci', forge: 'github', repository: 'acme/lib', custom: { n: 1 } }), [
      { id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: consumer },
    ]);
    const record = store.runRecord('r1')!;
    expect(record).toMatchObject({ id: 'r1', candidateSha: 'c'.repeat(40), reruns: 2, status: 'queued' });
    expect(record.meta.plan?.databases.postgres.image).toBe('compat-postgres:15');
    expect(record.meta).toMatchObject({ requestedBy: 'ci', forge: 'github', custom: { n: 1 } });
    expect(store.cellConfig('r1', 'app.sqlite')).toEqual(consumer);
    expect(store.runMeta('nope')).toBeUndefined();
    expect(store.cellConfig('r1', 'nope')).toBeUndefined();
  });

  it('refuses a stored meta of the wrong shape, naming the run and the field', () => {
    store.insertRun(run('r2', { plan: { library: { name: 'lib' } } } as never), [{ id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: consumer }]);
    expect(() => store.runMeta('r2')).toThrow(StoredDataError);
    expect(() => store.runRecord('r2')).toThrow(/run "r2" meta\.plan\.library\.repo/);
  });

  it('refuses a stored consumer config of the wrong shape, naming the cell and the field', () => {
    store.insertRun(run('r3', { plan }), [{ id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: { ...consumer, timeoutSeconds: 'soon' } as never }]);
    expect(() => store.cellConfig('r3', 'app.sqlite')).toThrow(/run "r3" cell "app\.sqlite" config\.timeoutSeconds/);
  });

  it('a transaction lands all of its writes or none', () => {
    expect(() =>
      store.transaction(() => {
        store.insertRun(run('r4', { plan }), [{ id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: consumer }]);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(store.runRecord('r4')).toBeUndefined();
  });
});

describe('a registry baseline in the store', () => {
  const file = {
    registry: 'npm' as const,
    name: 'lib',
    version: '1.0.0',
    published: '1.0.0',
    url: 'https://registry.example/lib/-/lib-1.0.0.tgz',
    filename: 'lib-1.0.0.tgz',
    digest: { algorithm: 'sha512' as const, hex: 'ab'.repeat(64) },
  };
  const integrity = `sha512-${Buffer.from('ab'.repeat(64), 'hex').toString('base64')}`;

  it('keeps the commit fields for commits and names the file by registry, package, version and integrity', () => {
    store.insertRun({ ...run('g1', { plan, baselineFile: file }), baseline: 'npm:lib@1.0.0', baselineSha: null, baselineSource: 'registry' }, [
      { id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: consumer },
    ]);
    const json = store.getRun('g1')!;
    expect(json).toMatchObject({ candidateSha: 'c'.repeat(40), baselineSha: null, baselineRegistry: { registry: 'npm', package: 'lib', version: '1.0.0', integrity } });
    expect(json.cells[0].baseline).toMatchObject({ source: 'registry', registry: 'npm', package: 'lib', version: '1.0.0', integrity });
    expect(json.cells[0].candidate).toEqual(expect.not.objectContaining({ registry: expect.anything() }));
    expect(store.runRecord('g1')!.baselineSha).toBeNull();
  });

  it('reads a run stored before the fields, which kept the digest as its baseline commit, without showing it as one', () => {
    store.insertRun({ ...run('g2', { plan, baselineFile: file }), baseline: 'npm:lib@1.0.0', baselineSha: file.digest.hex, baselineSource: 'registry' }, [
      { id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: consumer },
    ]);
    expect(store.getRun('g2')).toMatchObject({ baselineSha: null, baselineRegistry: { version: '1.0.0', integrity } });
  });
});

describe('a cancel in the store', () => {
  it('ends the run done/cancelled once, ends its running sides, and stays to be cleaned up across a reopen', () => {
    store.insertRun(run('c1', { plan }), [{ id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: consumer }]);
    store.markSideRunning('c1', 'app.sqlite', 'candidate', 0, 'w1');
    expect(store.cancelRun('nope', 'ci')).toBe('unknown');
    expect(store.cancelRun('c1', 'ci')).toBe('cancelled');
    expect(store.cancelRun('c1', 'ci')).toBe('finished');
    const cancelled = store.getRun('c1')!;
    expect([cancelled.status, cancelled.verdict]).toEqual(['done', 'cancelled']);
    expect(cancelled.finishedAt).not.toBeNull();
    expect(cancelled.cells[0].candidate).toMatchObject({ status: 'error', reason: 'run cancelled' });
    expect(store.unfinishedRunIds()).toEqual([]);

    // A server killed before its cleanup: the restarted one finds it still to do, and does it once.
    store.close();
    store = new Store(Store.fileIn(dir));
    expect(store.cancelsToClean()).toEqual(['c1']);
    store.markCancelCleaned('c1');
    expect(store.cancelsToClean()).toEqual([]);
    expect(store.runMeta('c1')?.cancel).toMatchObject({ by: 'ci', cleaned: true });
  });
});
