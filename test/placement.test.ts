/**
 * Placement on real parts: a worker started with --backends takes only the cells of those backends
 * (and builds), and one worker never runs more jobs at once than its concurrency, across its queues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

let stack: Stack;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [['v1.0.0', 'ok'], ['v1.1.0', 'ok']]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  const consumer = (name: string) => `
      - name: ${name}
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [sqlite, mysql]
        timeoutSeconds: 60
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }`;
  return writeMatrix(
    dir,
    `version: 1
libraries:
  - name: fixlib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:${['one', 'two', 'three'].map(consumer).join('')}
`,
  );
}

beforeAll(async () => {
  stack = await startStack({ matrix, worker: false });
});

afterAll(async () => {
  await stack?.close();
});

describe('placement', () => {
  it('a host without MariaDB never takes a mysql cell; one worker keeps to its concurrency across queues', async () => {
    const sqliteOnly = await stack.startWorker(2, { backends: ['sqlite'] });
    const mysqlOnly = await stack.startWorker(2, { backends: ['mysql'] });
    expect(sqliteOnly.backends).toEqual(['sqlite']);
    const created = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id);
    expect(run.cells).toHaveLength(6);
    expect(run.cells.map((c) => c.verdict)).toEqual(Array(6).fill('pass'));

    const sides = stack.server.store.sidePlacements(run.id);
    expect(sides).toHaveLength(12);
    for (const side of sides) {
      expect(side.worker, side.cellId).toBe(side.cellId.endsWith('.mysql') ? mysqlOnly.id : sqliteOnly.id);
    }
    // Every side's result is on the results queue before its slot frees: as applied, no more than
    // two of one worker's sides ever overlap.
    for (const worker of [sqliteOnly.id, mysqlOnly.id]) {
      const mine = sides.filter((s) => s.worker === worker);
      const maxOverlap = Math.max(...mine.map((a) => mine.filter((b) => b.startedAt! <= a.startedAt! && a.startedAt! < b.finishedAt!).length));
      expect(maxOverlap).toBeLessThanOrEqual(2);
    }
  });
});
