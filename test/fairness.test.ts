/**
 * Fairness between runs on real parts: two libraries release at once, and the 6-cell run queued behind
 * a 300-cell run gets its cells started within about one cell's time, not after the big run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { until } from './helpers/processes.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const BIG = 300;
const SMALL = 6;
let stack: Stack;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [['v1.0.0', 'ok'], ['v1.1.0', 'ok']]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  const consumers = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => `
      - { name: ${prefix}-${i}, repo: ${app}, ref: v1.0.0, image: compat-runner:bookworm, backends: [sqlite], timeoutSeconds: 60,
          installCandidate: 'test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"', test: sh run-tests.sh, resources: { memoryMb: 256, cpus: 0.5, pids: 64 } }`).join('');
  const library = (name: string, prefix: string, n: number) => `
  - name: ${name}
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:${consumers(prefix, n)}`;
  return writeMatrix(dir, `version: 1\nlibraries:${library('big', 'b', BIG)}${library('small', 's', SMALL)}\n`);
}

beforeAll(async () => {
  stack = await startStack({ matrix, concurrency: 3 });
});

afterAll(async () => {
  await stack?.close();
});

describe('fairness between runs', () => {
  it("the small run's first cell starts before the big run's 20th cell finishes", async () => {
    const big = await stack.api('POST', '/api/runs', { library: 'big', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    expect(big.status).toBe(201);
    expect(big.body.run.cells).toHaveLength(BIG);
    const store = stack.server.store;
    // Queued behind it: the big run's cells are already being taken.
    await until('the big run to start its cells', () => store.sidePlacements(big.body.id).some((s) => s.startedAt), 300_000);
    const small = await stack.api('POST', '/api/runs', { library: 'small', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    expect(small.status).toBe(201);
    const smallRun = await stack.waitForRun(small.body.id, 600_000);
    expect(smallRun.cells.map((c) => c.verdict)).toEqual(Array(SMALL).fill('pass'));

    const smallFirstStart = store.sidePlacements(small.body.id).map((s) => s.startedAt).filter((t): t is string => Boolean(t)).sort()[0];
    // A cell is finished when both of its sides are.
    const bigCellDone = new Map<string, string>();
    const bigSides = store.sidePlacements(big.body.id).filter((s) => s.finishedAt);
    for (const cell of new Set(bigSides.map((s) => s.cellId))) {
      const done = bigSides.filter((s) => s.cellId === cell).map((s) => s.finishedAt!);
      if (done.length === 2) bigCellDone.set(cell, done.sort()[1]);
    }
    const finishedBefore = [...bigCellDone.values()].filter((t) => t < smallFirstStart).length;
    console.log(`fairness: the small run's first cell started after ${finishedBefore} of the big run's ${BIG} cells had finished`);
    expect(finishedBefore).toBeLessThan(20);
    // And the big run was far from done when the small one was.
    expect(store.getRun(big.body.id)!.status).not.toBe('done');
  });
});
