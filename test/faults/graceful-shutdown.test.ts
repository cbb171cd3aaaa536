/**
 * Fault 2: SIGTERM to a worker process with cells running. Within COMPAT_SHUTDOWN_SECONDS it either
 * finishes them or, past that deadline, stops them (containers removed by itself, not by a janitor) and
 * hands their jobs back without spending an attempt; it exits 0 either way, and the run completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../common/types.js';
import { LABEL_KIND, LABEL_RUN, LABEL_WORKER } from '../../workers/container/docker.js';
import { createDeployment, until, type Deployment } from '../helpers/processes.js';
import { faultMatrix, lostCells } from './fixtures.js';
import { record } from './report.js';
import { laneQueueName } from '../../common/queue/bullmq.js';

let d: Deployment;
const runs: RunJson[] = [];
let expectedCells = 0;
let faults = 0;

beforeAll(async () => {
  d = await createDeployment({
    matrix: (dir) =>
      faultMatrix(dir, [
        { name: 'short', suite: 'slow.sh', extra: ['        env: { SLOW_SECONDS: "6" }'] },
        { name: 'long', suite: 'slow.sh', extra: ['        env: { SLOW_SECONDS: "30" }'] },
      ]),
    env: { COMPAT_HEARTBEAT_SECONDS: '2', COMPAT_JOB_LOCK_SECONDS: '10' },
  });
  await d.startServer();
});

afterAll(async () => {
  const leftovers = await d.cleanup();
  record({ test: 'graceful-shutdown', faults, cellsLost: runs.reduce((n, r) => n + lostCells(r, 1), 0) + Math.max(0, expectedCells - runs.length), leftovers, prefixes: [d.prefix] });
});

async function startedOn(workerId: string, runId: string, count: number) {
  await until(
    `${count} cell sides running on ${workerId}`,
    async () => (await d.containers({ [LABEL_RUN]: runId, [LABEL_KIND]: 'cell', [LABEL_WORKER]: workerId })).filter((c) => c.State === 'running').length === count,
    90_000,
  );
}

/** attemptsMade of a sqlite cell's job, as BullMQ keeps it in that backend's queue. */
async function attemptsMade(jobId: string): Promise<number> {
  const key = `${d.prefix}:${laneQueueName('sqlite')}:${jobId}`;
  // A missing job would read as 0 attempts: say so instead.
  if (!(await d.redis().exists(key))) throw new Error(`no job ${key} in Redis`);
  return Number((await d.redis().hget(key, 'atm')) ?? 0);
}

describe('SIGTERM to a worker with a running cell', () => {
  it('finishes the cell within COMPAT_SHUTDOWN_SECONDS and exits 0; the run completes', async () => {
    const w = await d.startWorker({ concurrency: 2, env: { COMPAT_SHUTDOWN_SECONDS: '40' } });
    expectedCells++;
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0', consumers: ['short'] });
    await startedOn(w.id, created.id, 2);
    const t0 = Date.now();
    w.proc.signal('SIGTERM');
    faults++;
    const exit = await w.proc.exited;
    const took = Date.now() - t0;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(40_000);
    // It waited for the suites (6 s each) rather than dropping them.
    expect(w.proc.output()).not.toMatch(/Shutdown deadline passed/);
    const run = await d.waitForRun(created.id, 600_000);
    runs.push(run);
    expect(run.cells[0]).toMatchObject({ verdict: 'pass', candidate: { status: 'passed' }, baseline: { status: 'passed' } });
    expect(await d.containers({ [LABEL_WORKER]: w.id })).toEqual([]);
  });

  it('past the deadline, stops its cells itself, hands their jobs back with attempts untouched, exits 0', async () => {
    const w = await d.startWorker({ concurrency: 2, env: { COMPAT_SHUTDOWN_SECONDS: '2' } });
    expectedCells++;
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0', consumers: ['long'] });
    await startedOn(w.id, created.id, 2);
    const t0 = Date.now();
    w.proc.signal('SIGTERM');
    faults++;
    const exit = await w.proc.exited;
    const took = Date.now() - t0;
    expect(exit).toEqual({ code: 0, signal: null });
    // Two seconds of grace, then the time to kill and remove two containers: before the suites (30 s of
    // sleep, started before the signal) could have ended, however slow the machine.
    expect(took).toBeLessThan(30_000);
    expect(w.proc.output()).toMatch(/Shutdown deadline passed/);
    // It removed its own containers: nothing for a janitor to find.
    expect(await d.containers({ [LABEL_WORKER]: w.id })).toEqual([]);
    const jobs = ['candidate', 'baseline'].map((side) => `cell-${created.id}-long.sqlite-${side}-0`);
    for (const job of jobs) expect(await attemptsMade(job)).toBe(0);

    const next = await d.startWorker({ concurrency: 2 });
    const run = await d.waitForRun(created.id, 600_000);
    runs.push(run);
    expect(run.cells[0]).toMatchObject({ verdict: 'pass', candidate: { status: 'passed' }, baseline: { status: 'passed' } });
    // One try counted: the handed-back one did not spend an attempt.
    for (const job of jobs) expect(await attemptsMade(job)).toBe(1);
    expect(await d.containers({ [LABEL_RUN]: created.id })).toEqual([]);
    next.proc.signal('SIGTERM');
    expect((await next.proc.exited).code).toBe(0);
  });
});
