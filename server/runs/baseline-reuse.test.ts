import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import { Store } from '../store/store.js';
import { baselineReuseKey, findReusableBaseline } from './baseline-reuse.js';

const consumer: ResolvedConsumer = {
  name: 'app',
  repo: '/repos/app',
  ref: 'v1.0.0',
  image: 'compat-runner:bookworm',
  installCandidate: 'pip install x.whl',
  test: 'pytest',
  backends: ['sqlite'],
  env: {},
  secretEnv: [],
  timeoutSeconds: 60,
  resources: { memoryMb: 256, cpus: 1, pids: 64 },
};
const input = { library: 'lib', version: '1.0.0', consumer, backend: 'sqlite' as const, databaseImage: '', artifactDigest: 'd1' };
const facts = { consumerSha: 'c1', imageId: 'i1', artifactDigest: 'd1' };

let dir: string;
let store: Store;

function seed(runId: string, options: { status?: 'passed' | 'failed' | 'error'; reusedFrom?: string; attempt?: number; key?: string } = {}) {
  store.insertRun(
    { id: runId, library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0', candidateVersion: '1.1.0', baselineVersion: '1.0.0', candidateSha: 'x', baselineSha: 'y', trigger: 'cli', reruns: 2 },
    [{ id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: consumer }],
  );
  store.recordSideResult({
    runId,
    cellId: 'app.sqlite',
    side: 'baseline',
    attempt: options.attempt ?? 0,
    status: options.status ?? 'passed',
    durationMs: 10,
    overheadMs: 1,
    tests: [{ id: 't::a', status: 'passed' }],
    facts,
    reuseKey: options.key ?? baselineReuseKey(input),
    ...(options.reusedFrom ? { reusedFrom: options.reusedFrom } : {}),
  });
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'compat-reuse-'));
  store = new Store(path.join(dir, 'store.sqlite'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('baseline reuse key', () => {
  it('changes with every input the server sees', () => {
    const key = baselineReuseKey(input);
    expect(baselineReuseKey({ ...input })).toBe(key);
    for (const changed of [
      { artifactDigest: 'd2' },
      { backend: 'mysql' as const, databaseImage: 'compat-mariadb:10.11' },
      { version: '1.0.1' },
      { consumer: { ...consumer, ref: 'v1.0.1' } },
      { consumer: { ...consumer, test: 'pytest -x' } },
      { consumer: { ...consumer, image: 'other:1' } },
      { consumer: { ...consumer, env: { A: '1' } } },
      { consumer: { ...consumer, resources: { ...consumer.resources, memoryMb: 512 } } },
      { consumer: { ...consumer, name: 'app2' } },
      { consumer: { ...consumer, runner: 'pytest' as const } },
    ]) {
      expect(baselineReuseKey({ ...input, ...changed })).not.toBe(key);
    }
    // `custom` is today's behaviour: the same key as no runner, so stored baselines stay reusable.
    expect(baselineReuseKey({ ...input, consumer: { ...consumer, runner: 'custom' } })).toBe(key);
  });
});

describe('finding a reusable baseline', () => {
  it('finds the newest fresh result within the window, with what it ran with', () => {
    seed('r1');
    expect(findReusableBaseline(store, baselineReuseKey(input), 7)).toEqual({ runId: 'r1', cellId: 'app.sqlite', facts });
  });

  it('never a reused one, a confirming re-run, an error, another key, or outside the window', () => {
    seed('r1', { reusedFrom: 'r0' });
    seed('r2', { attempt: 1 });
    seed('r3', { status: 'error' });
    seed('r4', { key: 'other' });
    expect(findReusableBaseline(store, baselineReuseKey(input), 7)).toBeNull();
    seed('r5');
    expect(findReusableBaseline(store, baselineReuseKey(input), 7)?.runId).toBe('r5');
    expect(findReusableBaseline(store, baselineReuseKey(input), 7, Date.now() + 8 * 86_400_000)).toBeNull();
    expect(findReusableBaseline(store, baselineReuseKey(input), 0)).toBeNull();
  });
});
