/**
 * Fault 1d: the Docker engine fails under running cells. Cell containers killed or removed from outside,
 * and the engine going away and coming back (its connections dropped, its containers stopped), end in a
 * retry or in `error`: never in a verdict that claims something about the library (regression, fixed,
 * flaky, failing) when both sides really pass. Whatever could not be removed while the engine was away
 * (containers, cell databases) is removed once it is back, or, for a container, is reported by the
 * worker as held by the engine: a real restart can leave the engine unable to remove a container's root
 * filesystem (issue 24), which no product can undo. What must hold whatever the engine does: every
 * container of the run is gone, or named on the worker's /readyz with the engine's own refusal and
 * retried since. A container the worker forgot, or whose removal it never retried, fails the test.
 *
 * By default the engine's outage is simulated for this test's worker only, through a socket proxy, so
 * the other users of this machine's engine are not disturbed. COMPAT_FAULTS_DOCKER_RESTART=1 restarts
 * the real dockerd instead (it stops every container on the machine that has no restart policy): this
 * machine's (`pidof dockerd`, started again as scripts/setup-host.sh does), or a private one, named by
 * COMPAT_FAULTS_DOCKERD_PIDFILE (its pidfile; DOCKER_SOCKET its socket), started again with the same
 * command line.
 */
import { execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../common/types.js';
import { createDocker } from '../../common/docker/engine.js';
import { LABEL_KIND, LABEL_RUN } from '../../workers/container/docker.js';
import { isEngineRefusal } from '../../workers/container/removal.js';
import { DatabaseServers } from '../../workers/databases/servers.js';
import type { ReadinessWarning } from '../../workers/readiness.js';
import { createDeployment, loadHostId, sleep, until, type Deployment } from '../helpers/processes.js';
import { startEngineProxy, type EngineProxy } from './engine-proxy.js';
import { faultMatrix, lostCells } from './fixtures.js';
import { record } from './report.js';

const REAL_RESTART = process.env.COMPAT_FAULTS_DOCKER_RESTART === '1';
const PG_IMAGE = 'compat-postgres:15';
/** Verdicts that say something about the library: wrong when both sides really pass. */
const CLAIMS = ['regression', 'fixed', 'flaky', 'failing'];

let d: Deployment;
let proxy: EngineProxy;
let workerUrl: string;
/** Containers the worker reported held by the engine, by id. */
const heldByEngine = new Map<string, ReadinessWarning>();
const runs: RunJson[] = [];
let expectedRuns = 0;
let faults = 0;
const dbsSeen = new Set<string>();
const docker = createDocker();

beforeAll(async () => {
  d = await createDeployment({
    matrix: (dir) =>
      faultMatrix(
        dir,
        [
          { name: 'slow', suite: 'slow.sh', backends: ['sqlite', 'postgres'], extra: ['        env: { SLOW_SECONDS: "6" }'] },
          { name: 'good', suite: 'good.sh' },
        ],
        { reruns: 2 },
      ),
    env: { COMPAT_HEARTBEAT_SECONDS: '2', COMPAT_JOB_LOCK_SECONDS: '10' },
  });
  proxy = await startEngineProxy(path.join(d.dir, 'docker.sock'), process.env.DOCKER_SOCKET ?? '/var/run/docker.sock');
  await d.startServer();
  const worker = await d.startWorker({ concurrency: 4, env: REAL_RESTART ? {} : { DOCKER_SOCKET: proxy.socketPath }, metrics: true });
  workerUrl = worker.metricsUrl!;
});

afterAll(async () => {
  const leftovers = await d.cleanup({ databases: [{ backend: 'postgres', image: PG_IMAGE, names: [...dbsSeen] }], heldByEngine: heldByEngine.keys() });
  await proxy.close();
  record({
    test: REAL_RESTART ? 'docker-engine (real dockerd restart)' : 'docker-engine (simulated outage)',
    faults,
    cellsLost: runs.reduce((n, r) => n + lostCells(r, 3), 0) + 3 * Math.max(0, expectedRuns - runs.length),
    leftovers,
    heldByEngine: [...heldByEngine.values()].map(({ id, name, error }) => ({ id, name, error })),
    prefixes: [d.prefix],
    databases: [...dbsSeen].map((name) => ({ backend: 'postgres' as const, image: PG_IMAGE, name })),
  });
});

async function runningCells(runId: string, count: number, consumer = '') {
  return until(
    `${count} cell sides running`,
    async () => {
      const running = (await d.containers({ [LABEL_RUN]: runId, [LABEL_KIND]: 'cell' })).filter((c) => c.State === 'running' && c.Names[0].includes(`-${consumer}`));
      return running.length >= count ? running : null;
    },
    120_000,
  );
}

async function noteDatabases(run: RunJson) {
  for (const side of ['candidate', 'baseline']) {
    const log = await d.api('GET', `/api/runs/${run.id}/cells/slow.postgres/logs?side=${side}`, undefined, null);
    for (const m of log.text.matchAll(/db=\S+\/(c_[0-9a-f]{12})/g)) dbsSeen.add(m[1]);
  }
  Object.keys(await d.registeredDatabases()).forEach((n) => dbsSeen.add(n));
}

/** What the worker's /readyz names as held by the engine. */
async function heldWarnings(): Promise<ReadinessWarning[]> {
  const res = await fetch(`${workerUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { warnings?: ReadinessWarning[] };
  return (body.warnings ?? []).filter((w) => w.kind === 'engine-held-container');
}

/**
 * Every container of the run is gone, or held by the engine: named by the worker with the engine's own
 * refusal, not running, and retried after its first refusal. Anything else (a container the worker never
 * tried to remove, or gave up on) is a leak of the product's, and the wait ends in a failure naming it.
 */
async function expectContainersGoneOrHeld(runId: string): Promise<void> {
  let unaccounted: string[] = [];
  try {
    await until(
      'every container of the run gone or held by the engine',
      async () => {
        const left = await d.containers({ [LABEL_RUN]: runId });
        if (left.length === 0) return true;
        const held = new Map((await heldWarnings()).map((w) => [w.id, w]));
        unaccounted = [];
        for (const c of left) {
          const w = held.get(c.Id);
          if (!w) unaccounted.push(`${c.Names[0]} (${c.State}): not reported as held by the engine`);
          else if (!isEngineRefusal(w.error)) unaccounted.push(`${c.Names[0]}: held, but not for the engine's refusal: ${w.error}`);
          else if (c.State === 'running') unaccounted.push(`${c.Names[0]}: reported held, yet running`);
          else if (w.attempts < 2 || Date.parse(w.lastTriedAt) <= Date.parse(w.since)) unaccounted.push(`${c.Names[0]}: held, its removal not retried yet (${w.attempts} tries)`);
        }
        if (unaccounted.length > 0) return false;
        for (const c of left) heldByEngine.set(c.Id, held.get(c.Id)!);
        return true;
      },
      120_000,
      500,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${unaccounted.join('; ')}`);
  }
}

/** Every cell passes or errs; none claims anything about the library; nothing is left behind but what the engine holds. */
async function expectHonestAndClean(run: RunJson) {
  for (const cell of run.cells) {
    expect({ cell: cell.id, verdict: cell.verdict, claims: CLAIMS.includes(cell.verdict) }).toMatchObject({ claims: false });
    for (const side of [cell.candidate, cell.baseline]) expect(['passed', 'error']).toContain(side.status);
  }
  await expectContainersGoneOrHeld(run.id);
  await until('no cell database left registered', async () => Object.keys(await d.registeredDatabases()).length === 0, 60_000);
  const present = new Set(await new DatabaseServers(docker, { network: 'compat-net', hostId: loadHostId() }).listCellDatabases('postgres', PG_IMAGE));
  expect([...dbsSeen].filter((n) => present.has(n))).toEqual([]);
}

/**
 * The engine a real restart stops and starts: this machine's dockerd, or the private one whose pidfile
 * COMPAT_FAULTS_DOCKERD_PIDFILE names (started again with the command line it runs with).
 */
function engineToRestart(): { pid: number; start: () => void } {
  const pidfile = process.env.COMPAT_FAULTS_DOCKERD_PIDFILE;
  if (!pidfile) {
    return {
      pid: Number(execFileSync('pidof', ['dockerd'], { encoding: 'utf8' }).trim().split(/\s+/)[0]),
      // As scripts/setup-host.sh starts it.
      start: () => spawn('sh', ['-c', 'nohup dockerd >/var/log/compat-dockerd.log 2>&1 &'], { detached: true, stdio: 'ignore' }).unref(),
    };
  }
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`COMPAT_FAULTS_DOCKERD_PIDFILE: ${pidfile} holds no pid`);
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  return {
    pid,
    start: () => {
      const log = openSync(`${pidfile}.log`, 'a');
      spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', log, log] }).unref();
    },
  };
}

async function restartDockerd(): Promise<void> {
  const { pid, start } = engineToRestart();
  process.kill(pid, 'SIGTERM');
  await until('dockerd to stop', () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 60_000);
  start();
  await until('dockerd to answer', () => docker.ping().then(() => true), 90_000, 500);
}

describe('the Docker engine fails under running cells', () => {
  it('a cell container killed, another removed, from outside: retried, never taken for a test failure', async () => {
    expectedRuns++;
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    const slow = await runningCells(created.id, 2, 'slow.');
    await docker.getContainer(slow[0].Id).kill({ signal: 'SIGKILL' });
    await docker.getContainer(slow[1].Id).remove({ force: true });
    faults += 2;
    const run = await d.waitForRun(created.id, 600_000);
    runs.push(run);
    await noteDatabases(run);
    // The killed one is retried (the script never reported the test command's end).
    expect(d.workers[0].output()).toMatch(/stopped from outside \(exit 137\)/);
    expect(run.cells.map((c) => c.verdict)).toEqual(['pass', 'pass', 'pass']);
    await expectHonestAndClean(run);
  });

  it(`the engine goes away and comes back (${REAL_RESTART ? 'real dockerd restart' : 'simulated for this worker'}): retried or error, never a wrong verdict`, async () => {
    expectedRuns++;
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    const running = await runningCells(created.id, 2);
    const logFrom = d.workers[0].output().length;
    if (REAL_RESTART) {
      await restartDockerd();
    } else {
      // What the worker sees of a restart: its connections drop, nothing answers for a while, and the
      // engine stops the containers on its way down.
      const outage = proxy.outage(4_000);
      await sleep(200);
      await Promise.all(running.map((c) => docker.getContainer(c.Id).stop({ t: 1 }).catch(() => undefined)));
      await outage;
    }
    faults++;
    const run = await d.waitForRun(created.id, 600_000);
    runs.push(run);
    await noteDatabases(run);
    await expectHonestAndClean(run);
    // The sides the outage hit were retried (or ended in error), by a worker that lived through it.
    expect(d.workers[0].output().slice(logFrom)).toMatch(/Job failed; will retry/);
    expect(d.workers[0].running).toBe(true);
  });
});
