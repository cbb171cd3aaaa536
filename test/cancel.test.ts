/**
 * `compat cancel` in the middle of a run (issue 23 item 5), on real processes, Redis, Docker and
 * PostgreSQL: the run's running sides are stopped and their containers and databases removed, its
 * queued cells and builds leave the queues, it ends done/cancelled, a run started alongside finishes
 * untouched, and the gate goes by that other run as if the cancelled one did not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../common/types.js';
import { createDocker } from '../common/docker/engine.js';
import { LABEL_KIND, LABEL_PREFIX, LABEL_RUN } from '../workers/container/docker.js';
import { DatabaseServers } from '../workers/databases/servers.js';
import { createDeployment, loadHostId, runCompat, until, type Deployment } from './helpers/processes.js';
import { faultMatrix } from './faults/fixtures.js';

const PG_IMAGE = 'compat-postgres:15';
let d: Deployment;
const dbsSeen = new Set<string>();

beforeAll(async () => {
  d = await createDeployment({
    matrix: (dir) =>
      faultMatrix(
        dir,
        [
          // Far longer than the test: it only ever ends by the cancel.
          { name: 'slow', suite: 'slow.sh', backends: ['sqlite', 'postgres'], timeoutSeconds: 900, extra: ['        env: { SLOW_SECONDS: "600" }'] },
          { name: 'good', suite: 'good.sh' },
        ],
        { extraTags: ['v1.2.0'] },
      ),
  });
  await d.startServer();
  await d.startWorker({ concurrency: 3 });
});

afterAll(async () => {
  await d?.cleanup({ databases: [{ backend: 'postgres', image: PG_IMAGE, names: [...dbsSeen] }] });
});

/** Job ids of a run still in a lane's unclaimed sets (waiting, prioritized, delayed). */
async function queuedJobsOf(runId: string): Promise<string[]> {
  const redis = d.redis();
  const ids: string[] = [];
  for (const lane of ['work', 'work-sqlite', 'work-mysql', 'work-postgres']) {
    const base = `${d.prefix}:${lane}`;
    ids.push(...(await redis.lrange(`${base}:wait`, 0, -1)), ...(await redis.lrange(`${base}:paused`, 0, -1)));
    ids.push(...(await redis.zrange(`${base}:prioritized`, '0', '-1')), ...(await redis.zrange(`${base}:delayed`, '0', '-1')));
  }
  return ids.filter((id) => id.includes(runId));
}

describe('compat cancel in the middle of a run', () => {
  it('stops and removes what the run has running, drops what it has queued, and touches no other run or the gate', async () => {
    // The other run first: the gate's answer for v1.1.0 is to come from it alone.
    const other = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0', consumers: ['good'] });
    const victim = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0', consumers: ['slow'] });

    // The victim's postgres cell running with its database, and (3 slots, 4 slow sides) a side queued.
    await until(
      'a postgres side of the run running with its database',
      async () => {
        const running = (await d.containers({ [LABEL_RUN]: victim.id, [LABEL_KIND]: 'cell' })).filter((c) => c.State === 'running');
        const dbs = Object.entries(await d.registeredDatabases()).filter(([, info]) => JSON.parse(info).run === victim.id);
        dbs.forEach(([name]) => dbsSeen.add(name));
        return running.length >= 2 && dbs.length >= 1 && (await queuedJobsOf(victim.id)).length >= 1;
      },
      300_000,
      500,
    );
    expect(await queuedJobsOf(victim.id)).not.toEqual([]);

    // A run still at its builds, cancelled before any cell exists: its builds leave the queue.
    const early = await d.createRun({ library: 'lib', candidate: 'v1.2.0', baseline: 'v1.0.0', consumers: ['slow'] });
    const cancelEarly = await runCompat(['cancel', early.id], d.env());
    expect(cancelEarly.code, cancelEarly.output).toBe(0);

    const cancelled = await runCompat(['cancel', victim.id], d.env());
    expect(cancelled.code, cancelled.output).toBe(0);
    expect(cancelled.stdout).toContain(`run ${victim.id}: cancelled`);
    const again = await runCompat(['cancel', victim.id], d.env());
    expect(again.code, again.output).toBe(2);
    expect(again.output).toContain('already finished');
    const unknown = await runCompat(['cancel', 'no-such-run'], d.env());
    expect(unknown.code, unknown.output).toBe(4);
    // The route needs a write token.
    expect((await d.api('POST', `/api/runs/${victim.id}/cancel`, undefined, null)).status).toBe(401);

    const stored = (await d.run(victim.id))!;
    expect([stored.status, stored.verdict]).toEqual(['done', 'cancelled']);
    expect((await d.run(early.id))!.verdict).toBe('cancelled');
    expect(await queuedJobsOf(victim.id)).toEqual([]);
    expect(await queuedJobsOf(early.id)).toEqual([]);

    // Every container of the run stopped and removed by its worker, with its database.
    await until('the run\'s containers to be gone', async () => (await d.containers({ [LABEL_RUN]: victim.id })).length === 0, 120_000, 500);
    await until(
      'the run\'s databases to be unregistered',
      async () => !Object.values(await d.registeredDatabases()).some((info) => JSON.parse(info).run === victim.id),
      120_000,
      500,
    );
    const servers = new DatabaseServers(createDocker(), { network: 'compat-net', hostId: loadHostId() });
    const present = new Set(await servers.listCellDatabases('postgres', PG_IMAGE));
    expect([...dbsSeen].filter((name) => present.has(name))).toEqual([]);
    expect(dbsSeen.size).toBeGreaterThan(0);
    expect(await createDocker().listNetworks({ filters: { label: [`${LABEL_PREFIX}=${d.prefix}`] } })).toEqual([]);

    // The run alongside finishes as it would have.
    const done: RunJson = await d.waitForRun(other.id, 600_000);
    expect(done.verdict).toBe('pass');
    expect(done.cells.map((c) => [c.id, c.verdict])).toEqual([['good.sqlite', 'pass']]);

    // Nothing the workers sent late revived the cancelled run, and no side of it started again.
    const after = (await d.run(victim.id))!;
    expect([after.status, after.verdict]).toEqual(['done', 'cancelled']);
    expect(after.cells.every((c) => c.candidate.status !== 'running' && c.baseline.status !== 'running')).toBe(true);
    expect(await d.containers({ [LABEL_RUN]: victim.id })).toEqual([]);

    // The gate: v1.1.0 by the other run alone (the cancelled one, newer, would leave its slow cells
    // pending); v1.2.0, whose only run was cancelled, has no run.
    const gate = await runCompat(['gate', '--library', 'lib', '--version', '1.1.0', '--json'], d.env());
    expect(gate.code, gate.output).toBe(0);
    expect(JSON.parse(gate.stdout)).toMatchObject({ state: 'pass', runId: other.id });
    const none = await runCompat(['gate', '--library', 'lib', '--version', '1.2.0'], d.env());
    expect(none.code, none.output).toBe(4);
  });
});
