/**
 * Server throughput, on the server's own code path and no containers: a 10,000-cell run is stored,
 * side-started and side-done messages for its cells are pushed onto the results queue as fast as Redis
 * takes them, and the server applies them (orchestrator, store, verdicts). Prints results applied per
 * second beside the rate Redis took them at, and the run API's p95 for the 10,000-cell run beside the
 * same route for a 10-cell run, all measured in this one run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../common/config.js';
import { RESULTS_QUEUE } from '../common/queue/bullmq.js';
import { resultJobId, type ResultMessage } from '../common/queue/jobs.js';
import type { ResolvedConsumer } from '../common/matrix/load.js';
import { SIDES } from '../common/types.js';
import { startServer } from '../server/server.js';
import { Store, type NewCell } from '../server/store/store.js';
import { deletePrefixedKeys } from '../test/helpers/redis-keys.js';

/** Cells of the big run. @defaultValue 10000 (env BENCH_CELLS) */
const CELLS = Number(process.env.BENCH_CELLS || 10_000);
/** Cells whose four messages (two sides started and done) are pushed. @defaultValue 2500 (env BENCH_RESULT_CELLS) */
const RESULT_CELLS = Math.min(CELLS, Number(process.env.BENCH_RESULT_CELLS || 2500));
const API_REQUESTS = 40;

function consumer(name: string): ResolvedConsumer {
  return {
    name,
    repo: `https://git.example.org/${name}.git`,
    ref: 'v1.0.0',
    image: 'compat-runner:bookworm',
    installCandidate: 'true',
    test: 'true',
    backends: ['sqlite'],
    env: {},
    secretEnv: [],
    timeoutSeconds: 600,
    resources: { memoryMb: 256, cpus: 0.5, pids: 64 },
  } as ResolvedConsumer;
}

function seedPendingRun(store: Store, id: string, cells: number): void {
  const list: NewCell[] = Array.from({ length: cells }, (_, i) => {
    const name = `c${String(i).padStart(5, '0')}`;
    return { id: `${name}.sqlite`, consumer: name, backend: 'sqlite', config: consumer(name) };
  });
  store.insertRun(
    {
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
      meta: { plan: { library: { name: 'lib', repo: '/nonexistent', image: 'compat-runner:bookworm', command: 'true', timeoutSeconds: 60 }, databases: { postgres: { image: 'x' }, mysql: { image: 'x' } } } },
    },
    list,
  );
}

function messages(runId: string, cells: number): ResultMessage[] {
  const out: ResultMessage[] = [];
  for (let i = 0; i < cells; i++) {
    const cellId = `c${String(i).padStart(5, '0')}.sqlite`;
    for (const side of SIDES) {
      out.push({ kind: 'side-started', runId, cellId, side, attempt: 0, worker: 'bench', queuedMs: 5 });
      out.push({
        kind: 'side-done',
        runId,
        cellId,
        side,
        attempt: 0,
        result: {
          status: 'passed',
          durationMs: 1000,
          overheadMs: 100,
          exitCode: 0,
          tests: Array.from({ length: 5 }, (_, t) => ({ id: `suite::test_${t}`, status: 'passed' as const, durationMs: 3 })),
        },
      });
    }
  }
  return out;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)];
}

async function timeGets(url: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    times.push(performance.now() - t);
  }
  return times;
}

export async function benchThroughput(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-bench-'));
  const matrixFile = path.join(dir, 'matrix.yaml');
  writeFileSync(
    matrixFile,
    'version: 1\nlibraries:\n  - name: lib\n    repo: /nonexistent\n    build: { image: compat-runner:bookworm, command: "true" }\n    consumers:\n      - { name: c, repo: /nonexistent, ref: v1.0.0, image: compat-runner:bookworm, installCandidate: "true", test: "true", backends: [sqlite] }\n',
  );
  const config = loadConfig({ dataDir: path.join(dir, 'data'), prefix: `b${randomUUID().slice(0, 8)}`, matrixFile, port: 0 });
  const bigId = 'bench-big';
  const smallId = 'bench-small';
  const seedStore = new Store(Store.fileIn(config.dataDir));
  let t = performance.now();
  seedPendingRun(seedStore, bigId, CELLS);
  seedPendingRun(seedStore, smallId, 10);
  seedStore.close();
  console.log(`throughput: seeded a ${CELLS}-cell run in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const server = await startServer(config, { port: 0 });
  // The bench pushes to BullMQ queues itself, on a connection of its own.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const results = new Queue<ResultMessage>(RESULTS_QUEUE, { connection: redis, prefix: config.prefix });
  try {
    // Redis's intake: the same messages, pushed to a queue nobody consumes.
    const all = messages(bigId, RESULT_CELLS);
    const add = (queue: Queue<ResultMessage>, batch: ResultMessage[]) =>
      queue.addBulk(batch.map((m) => ({ name: m.kind, data: m, opts: { jobId: resultJobId(m), removeOnComplete: { count: 1000 } } })));
    const idle = new Queue<ResultMessage>('bench-intake', { connection: redis, prefix: config.prefix });
    t = performance.now();
    for (let i = 0; i < all.length; i += 500) await add(idle, all.slice(i, i + 500));
    const intakeSeconds = (performance.now() - t) / 1000;
    await idle.obliterate({ force: true });
    await idle.close();

    // The server's results queue: pushed the same way, applied by the server as they come.
    let applied = 0;
    let firstAt = 0;
    let lastAt = 0;
    const done = new Promise<void>((resolve) =>
      server.events.on(`run:${bigId}`, () => {
        if (applied++ === 0) firstAt = performance.now();
        lastAt = performance.now();
        if (applied === all.length) resolve();
      }),
    );
    t = performance.now();
    for (let i = 0; i < all.length; i += 500) await add(results, all.slice(i, i + 500));
    const pushSeconds = (performance.now() - t) / 1000;
    await done;
    const applySeconds = (lastAt - t) / 1000;
    const intakeRate = all.length / intakeSeconds;
    const appliedRate = all.length / applySeconds;
    console.log(`throughput: Redis took ${all.length} result messages at ${intakeRate.toFixed(0)}/s (pushed to a queue nobody reads; onto the server's queue: ${(all.length / pushSeconds).toFixed(0)}/s)`);
    console.log(`throughput: the server applied them at ${appliedRate.toFixed(0)}/s (first ${((firstAt - t) / 1000).toFixed(2)} s after the push began, last at ${applySeconds.toFixed(1)} s) = ${(appliedRate / intakeRate).toFixed(2)}x Redis's intake`);
    const run = server.store.getRun(bigId)!;
    const passed = run.cells.filter((c) => c.verdict === 'pass').length;
    if (passed !== RESULT_CELLS) throw new Error(`expected ${RESULT_CELLS} cells decided pass, found ${passed}`);

    // The run API, for the 10,000-cell run beside a 10-cell one.
    await timeGets(`${server.url}/api/runs/${bigId}`, 3);
    const big = await timeGets(`${server.url}/api/runs/${bigId}`, API_REQUESTS);
    const small = await timeGets(`${server.url}/api/runs/${smallId}`, API_REQUESTS);
    console.log(`throughput: GET /api/runs/:id p95 ${p95(big).toFixed(0)} ms for the ${CELLS}-cell run, ${p95(small).toFixed(1)} ms for a 10-cell run (${API_REQUESTS} requests each) = ${(p95(big) / p95(small)).toFixed(0)}x`);
  } finally {
    await results.close();
    await server.close();
    await deletePrefixedKeys(redis, config.prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
