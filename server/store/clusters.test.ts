/**
 * A run's clusters from what the store holds: the regressed cells' whole newFailures (past the run
 * JSON's 50) with their candidate messages; a flaky cell's failures are no cause. Real SQLite, real
 * failure texts (common/clusters/fixtures).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import type { TestOutcome } from '../../common/types.js';
import { Store } from './store.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../common/clusters/fixtures/${name}`, import.meta.url), 'utf8')) as Array<{ id: string; message: string }>;

const config = (name: string): ResolvedConsumer => ({
  name,
  repo: 'https://git.example.org/app.git',
  ref: 'v1',
  image: 'compat-runner:bookworm',
  installCandidate: 'true',
  test: 'true',
  backends: ['mysql'],
  env: {},
  secretEnv: [],
  timeoutSeconds: 60,
  resources: { memoryMb: 256, cpus: 1, pids: 64, diskMb: 1024 },
});

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'compat-clusters-'));
  store = new Store(Store.fileIn(dir));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function side(cellId: string, which: 'candidate' | 'baseline', tests: TestOutcome[]) {
  store.recordSideResult({ runId: 'r1', cellId, side: which, attempt: 0, status: tests.some((t) => t.status === 'failed') ? 'failed' : 'passed', durationMs: 1, overheadMs: 0, tests });
}

describe('Store.getRunWithClusters', () => {
  it('groups every new failure of the regressed cells by cause, with the candidate messages', () => {
    const inventory = fixture('py-inventory-2.4.0-on-quarry-1.1.0.mysql.json');
    // 60 more failures of one other cause: past the 50 ids a run's JSON lists per cell.
    const many = Array.from({ length: 60 }, (_, i) => ({ id: `tests.test_more::test_${String(i).padStart(2, '0')}`, message: `AssertionError: expected ${i} rows, got ${i + 1}` }));
    store.insertRun(
      { id: 'r1', library: 'quarry', candidate: 'v1.1.0', baseline: 'v1.0.0', candidateVersion: '1.1.0', baselineVersion: '1.0.0', candidateSha: 'c'.repeat(40), baselineSha: 'b'.repeat(40), trigger: 'api', reruns: 2 },
      [
        { id: 'py-inventory.mysql', consumer: 'py-inventory', backend: 'mysql', config: config('py-inventory') },
        { id: 'other.mysql', consumer: 'other', backend: 'mysql', config: config('other') },
      ],
    );
    const failed = [...inventory, ...many];
    side('py-inventory.mysql', 'candidate', failed.map((t) => ({ id: t.id, status: 'failed', message: t.message })));
    side('py-inventory.mysql', 'baseline', failed.map((t) => ({ id: t.id, status: 'passed' })));
    store.setCellDecision('r1', 'py-inventory.mysql', 'regression', 3, failed.map((t) => t.id).sort(), []);
    side('other.mysql', 'candidate', [{ id: 'o::t', status: 'failed', message: 'Error: timeout of 2000ms exceeded' }]);
    side('other.mysql', 'baseline', [{ id: 'o::t', status: 'passed' }]);
    store.setCellDecision('r1', 'other.mysql', 'flaky', 3, ['o::t'], []);

    const run = store.getRunWithClusters('r1')!;
    expect(run.cells.find((c) => c.id === 'py-inventory.mysql')!.newFailures).toHaveLength(50);
    // A cause's tests are cut as a cell's are, its total kept (the cell route pages them all).
    expect(run.clusters!.map((c) => [c.count, c.cells, c.tests.length, c.testsTotal])).toEqual([
      [60, ['py-inventory.mysql'], 50, 60],
      [5, ['py-inventory.mysql'], 5, undefined],
    ]);
    expect(run.clusters![0].pattern).toBe('expected N rows, got N');
    expect(run.clusters![1].message).toMatch(/^pymysql\.err\.ProgrammingError: \(1064, "You have an error in your SQL syntax/);
    // A run recorded before failure_causes existed: the same causes, from the stored messages.
    (store as unknown as { db: { exec(sql: string): void } }).db.exec('DELETE FROM failure_causes');
    expect(store.getRunWithClusters('r1')!.clusters).toEqual(run.clusters);
    // getRun stays without them: the orchestrator reads runs often and needs none.
    expect(store.getRun('r1')!.clusters).toBeUndefined();
  });
});
