/**
 * Per-cell overhead with warm caches: from a cell side's start on the worker to its test command's
 * start (mirror fetch and checkout, workspace, database, container create and start), per backend,
 * against a bare `docker run --rm IMAGE true` measured in the same run. Prints ratios, gates nothing.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fixtureConsumer, fixtureLibrary } from '../test/helpers/git-fixtures.js';
import { startStack, writeMatrix } from '../test/helpers/stack.js';

const IMAGE = 'compat-runner:bookworm';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export async function benchPipeline(): Promise<void> {
  const stack = await startStack({
    concurrency: 1,
    worker: false,
    matrix: (dir) => {
      const lib = fixtureLibrary(path.join(dir, 'repos', 'lib'), [['v1.0.0', 'ok'], ['v1.1.0', 'ok']]);
      const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
      return writeMatrix(
        dir,
        `version: 1
libraries:
  - name: lib
    repo: ${lib}
    build: { image: ${IMAGE}, command: sh build.sh }
    consumers:
      - { name: app, repo: ${app}, ref: v1.0.0, image: ${IMAGE}, installCandidate: "true", test: sh run-tests.sh, backends: [sqlite, postgres, mysql] }
`,
      );
    },
  });
  try {
    await stack.startWorker(1);
    // The first run warms the mirrors, artifacts and database servers; the second is measured.
    for (const round of ['warm-up', 'measured']) {
      const created = await stack.api('POST', '/api/runs', { library: 'lib', candidate: 'v1.1.0' });
      const run = await stack.waitForRun(created.body.id);
      if (round === 'warm-up') continue;
      const rows = stack.server.store.sideTimings(run.id);
      const bare: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = Date.now();
        execFileSync('docker', ['run', '--rm', IMAGE, 'true']);
        bare.push(Date.now() - t);
      }
      const bareMs = median(bare);
      console.log(`pipeline: bare \`docker run --rm ${IMAGE} true\`: median ${bareMs} ms over 5`);
      for (const backend of ['sqlite', 'postgres', 'mysql']) {
        const overheads = rows.flatMap((r) => (r.cellId.endsWith(`.${backend}`) && r.overheadMs !== null ? [r.overheadMs] : []));
        const m = median(overheads);
        console.log(`pipeline: ${backend.padEnd(8)} cell start -> test command: median ${m} ms over ${overheads.length} sides = ${(m / bareMs).toFixed(2)}x a bare docker run`);
      }
    }
  } finally {
    await stack.close();
  }
}
