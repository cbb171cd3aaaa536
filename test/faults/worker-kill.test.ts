/**
 * Fault 1a: a worker process is SIGKILLed in the middle of a cell that has a PostgreSQL database. A
 * second worker, started once the first one's heartbeat has lapsed, removes what the dead one left
 * (its test containers and its cell databases, found by labels and by the database registry) and runs
 * the cell again; the run completes with the verdict it should have.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../common/types.js';
import { createDocker } from '../../common/docker/engine.js';
import { LABEL_KIND, LABEL_RUN, LABEL_WORKER } from '../../workers/container/docker.js';
import { DatabaseServers } from '../../workers/databases/servers.js';
import { createDeployment, loadHostId, sleep, until, type Deployment } from '../helpers/processes.js';
import { faultMatrix, lostCells } from './fixtures.js';
import { record } from './report.js';

const PG_IMAGE = 'compat-postgres:15';
let d: Deployment;
let run: RunJson | null = null;
let run2: RunJson | null = null;
const dbsSeen = new Set<string>();
let faults = 0;

beforeAll(async () => {
  d = await createDeployment({
    matrix: (dir) => faultMatrix(dir, [{ name: 'slow', suite: 'slow.sh', backends: ['postgres'], extra: ['        env: { SLOW_SECONDS: "10" }'] }]),
    // A dead worker counts as dead 4 s after its last beat; a lost job's lock lapses after 10 s.
    env: { COMPAT_HEARTBEAT_SECONDS: '2', COMPAT_JOB_LOCK_SECONDS: '10' },
  });
  await d.startServer();
});

afterAll(async () => {
  const leftovers = await d.cleanup({ databases: [{ backend: 'postgres', image: PG_IMAGE, names: [...dbsSeen] }] });
  record({
    test: 'worker-kill',
    faults,
    cellsLost: lostCells(run, 1) + lostCells(run2, 1),
    leftovers,
    prefixes: [d.prefix],
    databases: [...dbsSeen].map((name) => ({ backend: 'postgres', image: PG_IMAGE, name })),
  });
});

describe('a worker killed with SIGKILL in the middle of a cell', () => {
  it('is replaced: its containers and databases are swept by labels, the cell runs again, the run completes', async () => {
    const a = await d.startWorker({ concurrency: 2 });
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });

    // Both sides of the cell running on worker A, each with a cell database registered to A.
    await until(
      'both sides of the cell running on worker A',
      async () => (await d.containers({ [LABEL_RUN]: created.id, [LABEL_KIND]: 'cell', [LABEL_WORKER]: a.id })).filter((c) => c.State === 'running').length === 2,
      90_000,
    );
    const registered = await d.registeredDatabases();
    const mine = Object.entries(registered).filter(([, info]) => JSON.parse(info).worker === a.id).map(([name]) => name);
    expect(mine).toHaveLength(2);
    mine.forEach((n) => dbsSeen.add(n));

    a.proc.signal('SIGKILL');
    faults++;
    expect((await a.proc.exited).signal).toBe('SIGKILL');
    // What the dead worker leaves: containers still there (still running the suite), databases registered.
    const orphans = await d.containers({ [LABEL_WORKER]: a.id });
    expect(orphans.length).toBeGreaterThanOrEqual(2);

    // Past the dead worker's heartbeat, a new worker finds its leftovers when it starts.
    await sleep(5_000);
    const b = await d.startWorker({ concurrency: 2 });
    await b.proc.waitFor(/Cleaned up after dead workers/, 20_000);
    expect(await d.containers({ [LABEL_WORKER]: a.id })).toEqual([]);
    const after = await d.registeredDatabases();
    expect(Object.keys(after).filter((n) => mine.includes(n))).toEqual([]);

    run = await d.waitForRun(created.id, 600_000);
    expect(run.verdict).toBe('pass');
    expect(run.cells).toHaveLength(1);
    expect(run.cells[0]).toMatchObject({
      verdict: 'pass',
      candidate: { status: 'passed', tests: { passed: 1, failed: 0 } },
      baseline: { status: 'passed', tests: { passed: 1, failed: 0 } },
    });
    // The second worker ran both sides again, with databases of their own, dropped afterwards.
    for (const side of ['candidate', 'baseline']) {
      const log = await d.api('GET', `/api/runs/${run.id}/cells/slow.postgres/logs?side=${side}`, undefined, null);
      expect(log.text).toContain('finished');
      for (const m of log.text.matchAll(/db=\S+\/(c_[0-9a-f]{12})/g)) dbsSeen.add(m[1]);
    }
    const cellDetail = await d.api('GET', `/api/runs/${run.id}/cells/slow.postgres`, undefined, null);
    expect(cellDetail.body.attempts.every((x: { status: string }) => x.status === 'passed')).toBe(true);

    // Nothing of the run is left: containers, registered databases, databases on the shared server.
    expect(await d.containers({ [LABEL_RUN]: run.id })).toEqual([]);
    expect(await d.registeredDatabases()).toEqual({});
    const present = new Set(await new DatabaseServers(createDocker(), { network: 'compat-net', hostId: loadHostId() }).listCellDatabases('postgres', PG_IMAGE));
    expect([...dbsSeen].filter((n) => present.has(n))).toEqual([]);
    expect(dbsSeen.size).toBeGreaterThanOrEqual(4);
  });

  it('is replaced at once (a supervisor restart, before the dead heartbeat lapses): the cell still runs again', async () => {
    // The worker of the first test stops for good first, so that only the next two take jobs.
    for (const w of d.workers.filter((p) => p.running)) {
      w.signal('SIGTERM');
      expect((await w.exited).code).toBe(0);
    }
    const a = await d.startWorker({ concurrency: 2 });
    // A fresh baseline: the first test's would be reused, and then only one side would ever run here.
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0', freshBaseline: true });
    await until(
      'both sides of the cell running on the first worker',
      async () => (await d.containers({ [LABEL_RUN]: created.id, [LABEL_KIND]: 'cell', [LABEL_WORKER]: a.id })).filter((c) => c.State === 'running').length === 2,
      90_000,
    );
    Object.keys(await d.registeredDatabases()).forEach((n) => dbsSeen.add(n));
    a.proc.signal('SIGKILL');
    faults++;
    await a.proc.exited;
    // Restarted at once: the dead worker still looks alive, its containers are still there when the
    // new one takes over its jobs, with the same run, cell, side and attempt.
    await d.startWorker({ concurrency: 2 });
    run2 = await d.waitForRun(created.id, 600_000);
    expect(run2.cells[0]).toMatchObject({ verdict: 'pass', candidate: { status: 'passed' }, baseline: { status: 'passed' } });
    // Once its heartbeat lapses, the running worker's own janitor removes the dead one's leftovers.
    await until('the dead worker\'s containers to be removed', async () => (await d.containers({ [LABEL_WORKER]: a.id })).length === 0, 30_000);
    await until('its databases to be dropped', async () => Object.keys(await d.registeredDatabases()).length === 0, 30_000);
    expect(await d.containers({ [LABEL_RUN]: created.id })).toEqual([]);
  });
});
