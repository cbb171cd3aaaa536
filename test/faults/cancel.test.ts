/**
 * Fault: a run is cancelled while the worker running its cells is dead (SIGKILLed mid-cell), and the
 * server is SIGKILLed and started again right after. The cancel is in the store, so the restarted
 * server does not resume the run; the replacement worker sweeps the dead one's containers and
 * databases, and the jobs the dead worker held, handed to it once their locks lapse, end at once
 * without running (the run's cancel flag): nothing of the run is resurrected, nothing is left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../common/types.js';
import { LABEL_KIND, LABEL_RUN, LABEL_WORKER } from '../../workers/container/docker.js';
import { createDeployment, sleep, until, type Deployment } from '../helpers/processes.js';
import { faultMatrix } from './fixtures.js';
import { record } from './report.js';

const PG_IMAGE = 'compat-postgres:15';
let d: Deployment;
let run: RunJson | null = null;
const dbsSeen = new Set<string>();
let faults = 0;

beforeAll(async () => {
  d = await createDeployment({
    matrix: (dir) => faultMatrix(dir, [{ name: 'slow', suite: 'slow.sh', backends: ['postgres'], timeoutSeconds: 900, extra: ['        env: { SLOW_SECONDS: "600" }'] }]),
    // A dead worker counts as dead 4 s after its last beat; a lost job's lock lapses after 10 s.
    env: { COMPAT_HEARTBEAT_SECONDS: '2', COMPAT_JOB_LOCK_SECONDS: '10' },
  });
  await d.startServer();
});

afterAll(async () => {
  const leftovers = await d.cleanup({ databases: [{ backend: 'postgres', image: PG_IMAGE, names: [...dbsSeen] }] });
  record({
    test: 'cancel',
    faults,
    // A cancelled run loses no cell: it has no verdict to reach.
    cellsLost: run && run.verdict === 'cancelled' ? 0 : 1,
    leftovers,
    prefixes: [d.prefix],
    databases: [...dbsSeen].map((name) => ({ backend: 'postgres', image: PG_IMAGE, name })),
  });
});

describe('a run cancelled while its worker is dead, the server restarted right after', () => {
  it('stays cancelled: the replacement worker runs none of its cells again, and nothing of it is left', async () => {
    const a = await d.startWorker({ concurrency: 2 });
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    await until(
      'both sides of the cell running on worker A',
      async () => (await d.containers({ [LABEL_RUN]: created.id, [LABEL_KIND]: 'cell', [LABEL_WORKER]: a.id })).filter((c) => c.State === 'running').length === 2,
      300_000,
      500,
    );
    for (const [name, info] of Object.entries(await d.registeredDatabases())) if (JSON.parse(info).run === created.id) dbsSeen.add(name);
    expect(dbsSeen.size).toBe(2);

    a.proc.signal('SIGKILL');
    faults++;
    await a.proc.exited;
    const res = await d.api('POST', `/api/runs/${created.id}/cancel`);
    expect(res.status, res.text).toBe(200);
    expect([res.body.run.status, res.body.run.verdict]).toEqual(['done', 'cancelled']);

    d.server!.signal('SIGKILL');
    faults++;
    await d.server!.exited;
    await d.startServer();

    const b = await d.startWorker({ concurrency: 2 });
    // The jobs A held come back to B once their locks lapse; B ends them without running them.
    const jobIds = ['candidate', 'baseline'].map((side) => `cell-${created.id}-slow.postgres-${side}-0`);
    const redis = d.redis();
    let resurrected = 0;
    await until(
      'the dead worker\'s jobs ended by the replacement worker',
      async () => {
        resurrected += (await d.containers({ [LABEL_RUN]: created.id, [LABEL_WORKER]: b.id })).length;
        const completed = await redis.zrange(`${d.prefix}:work-postgres:completed`, '0', '-1');
        return jobIds.every((id) => completed.includes(id));
      },
      180_000,
      500,
    );
    for (const id of jobIds) expect(JSON.parse((await redis.hget(`${d.prefix}:work-postgres:${id}`, 'returnvalue'))!)).toEqual({ cancelled: true });
    expect(resurrected).toBe(0);

    // A's containers and databases swept (the janitor), and the run still cancelled after it all.
    await until('the run\'s containers to be gone', async () => (await d.containers({ [LABEL_RUN]: created.id })).length === 0, 180_000, 500);
    await until('the run\'s databases to be dropped', async () => !Object.values(await d.registeredDatabases()).some((info) => JSON.parse(info).run === created.id), 180_000, 500);
    await sleep(2_000);
    run = await d.run(created.id);
    expect([run!.status, run!.verdict]).toEqual(['done', 'cancelled']);
    expect(await d.containers({ [LABEL_RUN]: created.id, [LABEL_WORKER]: b.id })).toEqual([]);
  });
});
