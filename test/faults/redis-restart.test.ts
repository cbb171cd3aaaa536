/**
 * Fault 1b: Redis (append-only persistence on, a server of this test's own on a free loopback port) is
 * shut down in the middle of a run, while cells are running and results are due, and started again on
 * the same port and directory. No job and no result is lost: the run completes with the right verdicts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../common/types.js';
import { LABEL_KIND, LABEL_RUN } from '../../workers/container/docker.js';
import { createDeployment, freePort, sleep, until, type Deployment } from '../helpers/processes.js';
import { faultMatrix, lostCells } from './fixtures.js';
import { record } from './report.js';

let d: Deployment;
let redisDir: string;
let redisPort: number;
let redisProc: ChildProcess | null = null;
let run: RunJson | null = null;
let faults = 0;

async function startRedis(): Promise<void> {
  redisProc = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(redisPort), '--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  await until('the test Redis to answer', async () => {
    const r = new Redis(redisPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } finally {
      r.disconnect();
    }
  }, 20_000);
}

async function stopRedis(signal: NodeJS.Signals): Promise<void> {
  const proc = redisProc!;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill(signal);
  await exited;
  redisProc = null;
}

beforeAll(async () => {
  redisDir = mkdtempSync(path.join(os.tmpdir(), 'compat-fault-redis-'));
  redisPort = await freePort();
  await startRedis();
  d = await createDeployment({
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    matrix: (dir) =>
      faultMatrix(dir, [
        { name: 'slow', suite: 'slow.sh', extra: ['        env: { SLOW_SECONDS: "8" }'] },
        { name: 'good', suite: 'good.sh', backends: ['sqlite', 'postgres'] },
      ]),
  });
  await d.startServer();
  await d.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  const leftovers = await d.cleanup();
  if (redisProc) await stopRedis('SIGKILL');
  rmSync(redisDir, { recursive: true, force: true });
  record({ test: 'redis-restart', faults, cellsLost: lostCells(run, 3), leftovers, prefixes: [d.prefix] });
});

describe('Redis restarted in the middle of a run (append-only persistence)', () => {
  it('loses no job and no result: the run completes with every cell passing', async () => {
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    await until('the slow cell running', async () => (await d.containers({ [LABEL_RUN]: created.id, [LABEL_KIND]: 'cell' })).some((c) => c.State === 'running' && c.Names[0].includes('slow')), 90_000);

    // Down while the slow suites run, so their results (and the queued cells) wait for it.
    await stopRedis('SIGTERM');
    faults++;
    await sleep(4_000);
    const during = await d.run(created.id);
    expect(during?.status).not.toBe('done');
    await startRedis();

    run = await d.waitForRun(created.id, 600_000);
    expect(run.cells.map((c) => [c.id, c.verdict, c.candidate.status, c.baseline.status]).sort()).toEqual([
      ['good.postgres', 'pass', 'passed', 'passed'],
      ['good.sqlite', 'pass', 'passed', 'passed'],
      ['slow.sqlite', 'pass', 'passed', 'passed'],
    ]);
    expect(run.verdict).toBe('pass');
    for (const cell of run.cells) expect(cell.candidate.tests.passed + cell.baseline.tests.passed).toBe(2);
    expect(await d.containers({ [LABEL_RUN]: created.id })).toEqual([]);
    // Every process lived through it.
    expect(d.server?.running).toBe(true);
    expect(d.workers.every((w) => w.running)).toBe(true);
  });
});
