/** The orchestrator's state machine on an in-memory store and fake ports: every result kind, in every order that can happen. */
import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../common/logger.js';
import type { CellJob, ResultMessage } from '../../common/queue/jobs.js';
import { Orchestrator } from './orchestrator.js';
import { built, done, harness, outcome, started } from '../testing/harness.js';

/** Both builds done: the cell jobs of both sides, taken from the queue. */
async function builtRun(h: ReturnType<typeof harness>, request?: Parameters<ReturnType<typeof harness>['createRun']>[0]) {
  const run = await h.createRun(request);
  for (const build of h.work.take('build')) await h.send(built(build));
  return { run, cells: h.work.take('cell') };
}

const sideOf = (cells: CellJob[], side: CellJob['side'], cellId?: string) => cells.find((c) => c.side === side && (!cellId || c.cellId === cellId))!;

/** Every order of the items. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('a run from plan to verdict', () => {
  it('plans the run, queues both builds, and each side\'s cells once its own artifact exists', async () => {
    const h = harness({ backends: ['sqlite', 'postgres'] });
    const run = await h.createRun();
    expect(run).toMatchObject({ status: 'queued', verdict: 'pending', candidate: 'v1.1.0', baseline: 'v1.0.0', candidateSha: h.commits[8].sha, baselineSha: h.commits[0].sha });
    expect(h.seen.created.map((r) => r.id)).toEqual([run.id]);
    expect(h.seen.published).toBe(1);
    const builds = h.work.take('build');
    expect(builds.map((b) => [b.side, b.ref, b.sha, b.version])).toEqual([
      ['candidate', 'v1.1.0', h.commits[8].sha, '1.1.0'],
      ['baseline', 'v1.0.0', h.commits[0].sha, '1.0.0'],
    ]);
    expect(h.work.queued).toEqual([]);

    await h.send(built(builds[0]));
    const candidate = h.work.take('cell');
    expect(candidate.map((c) => [c.cellId, c.side, c.attempt, c.backend, c.databaseImage, c.version, c.artifactKey])).toEqual([
      ['app.postgres', 'candidate', 0, 'postgres', 'compat-postgres:15', '1.1.0', `art-candidate-${h.commits[8].sha.slice(0, 7)}`],
      ['app.sqlite', 'candidate', 0, 'sqlite', '', '1.1.0', `art-candidate-${h.commits[8].sha.slice(0, 7)}`],
    ]);
    await h.send(built(builds[1]));
    expect(h.work.take('cell').map((c) => [c.cellId, c.side])).toEqual([
      ['app.postgres', 'baseline'],
      ['app.sqlite', 'baseline'],
    ]);
    expect(h.run(run.id)).toMatchObject({ status: 'queued', verdict: 'pending' });
  });

  it('a started side makes a queued run running; both sides in decide the cell, and the last cell the run', async () => {
    const h = harness();
    const { run, cells } = await builtRun(h);
    const c = sideOf(cells, 'candidate');
    const b = sideOf(cells, 'baseline');
    await h.send(started(c));
    expect(h.run(run.id)).toMatchObject({ status: 'running', verdict: 'pending' });
    await h.send(done(c, outcome(['t1', 't2'])));
    expect(h.run(run.id)).toMatchObject({ status: 'running', verdict: 'pending' });
    await h.send(started(b), done(b, outcome(['t1', 't2'])));
    expect(h.run(run.id)).toMatchObject({ status: 'done', verdict: 'pass' });
    expect(h.run(run.id).cells[0]).toMatchObject({ verdict: 'pass', attempts: 1, candidate: { status: 'passed', tests: { passed: 2 } } });
    expect(h.seen.finished.map((r) => [r.id, r.verdict])).toEqual([[run.id, 'pass']]);
  });

  it.each(permutations(['start c', 'done c', 'start b', 'done b']).map((order) => [order.join(', '), order]))('reaches the same end when the side messages come as %s, each delivered twice', async (_name, order) => {
    const h = harness();
    const { run, cells } = await builtRun(h);
    const c = sideOf(cells, 'candidate');
    const b = sideOf(cells, 'baseline');
    const message: Record<string, ResultMessage> = {
      'start c': started(c),
      'done c': done(c, outcome(['t1'], ['t2'])),
      'start b': started(b),
      'done b': done(b, outcome(['t1'], ['t2'])),
    };
    // A result redelivered right away, and again after everything else.
    for (const name of order) await h.send(message[name], message[name]);
    for (const name of order) await h.send(message[name]);
    const end = h.run(run.id);
    expect(end, order.join(', ')).toMatchObject({ status: 'done', verdict: 'pass' });
    // A late start never undoes a result: both sides keep their status.
    expect(end.cells[0], order.join(', ')).toMatchObject({ verdict: 'failing', attempts: 1, candidate: { status: 'failed' }, baseline: { status: 'failed' } });
    expect(h.seen.finished.length, order.join(', ')).toBe(1);
    expect(h.work.queued, order.join(', ')).toEqual([]);
  });

  it('a build applied twice queues its cells once', async () => {
    const h = harness({ backends: ['sqlite', 'mysql'] });
    await h.createRun();
    const [candidate] = h.work.take('build');
    await h.send(built(candidate), built(candidate));
    expect(h.work.enqueued.filter((e) => e.job.kind === 'cell').length).toBe(2);
  });

  it('a failed build ends that side of every cell as an infrastructure error, not a test failure', async () => {
    const h = harness({ backends: ['sqlite', 'postgres'] });
    const run = await h.createRun();
    const [candidate, baseline] = h.work.take('build');
    await h.send(built(candidate, false), built(baseline));
    for (const job of h.work.take('cell')) await h.send(done(job, outcome(['t1'])));
    const end = h.run(run.id);
    expect(end).toMatchObject({ status: 'done', verdict: 'incomplete' });
    for (const cell of end.cells) expect(cell).toMatchObject({ verdict: 'error', candidate: { status: 'error', reason: 'make: *** [all] Error 2' }, baseline: { status: 'passed' } });
  });

  it('a suspected regression is re-run on both sides, then confirmed, blocks the run and starts a bisect', async () => {
    const h = harness({ reruns: 1, rerun: 'pytest {tests}' });
    const { run, cells } = await builtRun(h);
    await h.send(done(sideOf(cells, 'candidate'), outcome(['t1'], ['t2'])), done(sideOf(cells, 'baseline'), outcome(['t1', 't2'])));
    expect(h.run(run.id)).toMatchObject({ status: 'running', verdict: 'pending' });
    expect(h.run(run.id).cells[0].verdict).toBe('running');
    const reruns = h.work.take('cell');
    expect(reruns.map((j) => [j.side, j.attempt, j.rerunTests])).toEqual([
      ['candidate', 1, ['t2']],
      ['baseline', 1, ['t2']],
    ]);
    await h.send(done(sideOf(reruns, 'candidate'), outcome([], ['t2'])), done(sideOf(reruns, 'baseline'), outcome(['t2'])));
    const end = h.run(run.id);
    expect(end).toMatchObject({ status: 'done', verdict: 'blocked' });
    expect(end.cells[0]).toMatchObject({ verdict: 'regression', attempts: 2, newFailures: ['t2'] });
    expect(end.cells[0].bisect).toMatchObject({ status: 'running', cellId: 'app.sqlite', commits: 8 });
    expect(h.work.take('bisect-build').length).toBeGreaterThan(0);
  });

  it('with a runner preset and no rerun command, confirming re-runs carry the new failures; without either, the whole suite', async () => {
    for (const [options, tests] of [[{ runner: 'mocha' }, ['t2']], [{}, undefined]] as const) {
      const h = harness({ reruns: 1, ...options });
      const { cells } = await builtRun(h);
      await h.send(done(sideOf(cells, 'candidate'), outcome(['t1'], ['t2'])), done(sideOf(cells, 'baseline'), outcome(['t1', 't2'])));
      expect(h.work.take('cell').map((j) => j.rerunTests)).toEqual([tests, tests]);
    }
  });

  it('a finished run carries its critical path from the recorded builds and every attempt of every side', async () => {
    const h = harness({ reruns: 1, runner: 'pytest' });
    const { run, cells } = await builtRun(h);
    const phases = (test: number) => ({ phases: { container: 10, test } });
    await h.send(
      done(sideOf(cells, 'candidate'), outcome(['t1'], ['t2'], { durationMs: 3000, ...phases(2000) })),
      done(sideOf(cells, 'baseline'), outcome(['t1', 't2'], [], { durationMs: 5000, ...phases(4000) })),
    );
    expect(h.run(run.id).timing).toBeUndefined();
    const reruns = h.work.take('cell');
    await h.send(
      done(sideOf(reruns, 'candidate'), outcome([], ['t2'], { durationMs: 700, ...phases(500) })),
      done(sideOf(reruns, 'baseline'), outcome(['t2'], [], { durationMs: 400, ...phases(300) })),
    );
    const timing = h.run(run.id).timing!;
    // Builds of 1 s each (the harness's), the baseline's 5 s side, then the re-run's longer side.
    expect(timing).toMatchObject({ cellId: 'app.sqlite', attempts: 2, buildMs: 1000, criticalMs: 1000 + 5000 + 700, testMs: 4000 + 500 });
    expect(timing.wallMs).toBeGreaterThanOrEqual(0);
  });

  it('starts no bisect for a library that turned bisects off', async () => {
    const h = harness({ bisect: false });
    const { run, cells } = await builtRun(h);
    await h.send(done(sideOf(cells, 'candidate'), outcome([], ['t2'])), done(sideOf(cells, 'baseline'), outcome(['t2'])));
    expect(h.run(run.id).cells[0]).toMatchObject({ verdict: 'regression' });
    expect(h.run(run.id).cells[0].bisect).toBeUndefined();
    expect(h.work.queued).toEqual([]);
  });

  it('reads the run and its plan once per message, not once per cell', async () => {
    const h = harness({ backends: ['sqlite', 'mysql', 'postgres'] });
    await h.createRun();
    const [candidate] = h.work.take('build');
    const runRecord = vi.spyOn(h.store, 'runRecord');
    const runMeta = vi.spyOn(h.store, 'runMeta');
    const cellConfig = vi.spyOn(h.store, 'cellConfig');
    await h.send(built(candidate));
    expect(h.work.take('cell').length).toBe(3);
    // The context, then the run's state before its verdict is decided.
    expect(runRecord.mock.calls.length).toBeLessThanOrEqual(2);
    expect(runMeta).not.toHaveBeenCalled();
    expect(cellConfig.mock.calls.length).toBe(3);
  });
});

describe('baseline reuse', () => {
  const facts = { consumerSha: 'e'.repeat(40), imageId: 'sha256:img', artifactDigest: 'x' };

  it('offers a later run the baseline result of an earlier one, and copies it when the worker reuses it', async () => {
    const h = harness({ baselineReuseDays: 7 });
    const first = await builtRun(h);
    await h.send(done(sideOf(first.cells, 'candidate'), outcome(['t1'])), done(sideOf(first.cells, 'baseline'), outcome(['t1', 't2'], [], { facts })));
    const second = await builtRun(h);
    const baseline = sideOf(second.cells, 'baseline');
    expect(baseline.reuse).toEqual({ runId: first.run.id, facts });
    expect(sideOf(second.cells, 'candidate').reuse).toBeUndefined();
    await h.send(done(sideOf(second.cells, 'candidate'), outcome(['t1', 't2'])), done(baseline, { ...outcome([]), reusedFrom: first.run.id }));
    const cell = h.run(second.run.id).cells[0];
    expect(cell.baseline).toMatchObject({ status: 'passed', reusedFrom: first.run.id, tests: { passed: 2 } });
    expect(cell.verdict).toBe('pass');
  });

  it('offers nothing to a run asked for a fresh baseline', async () => {
    const h = harness({ baselineReuseDays: 7 });
    const first = await builtRun(h);
    await h.send(done(sideOf(first.cells, 'baseline'), outcome(['t1'], [], { facts })));
    const second = await builtRun(h, { freshBaseline: true });
    expect(sideOf(second.cells, 'baseline').reuse).toBeUndefined();
  });
});

describe('results that change nothing', () => {
  it('a result for an unknown run is ignored', async () => {
    const h = harness();
    await h.send({ kind: 'build-done', runId: 'rnope', side: 'candidate', ok: true, artifactKey: 'a', durationMs: 1 });
    expect(h.work.enqueued).toEqual([]);
    expect(h.seen.changed).toEqual([]);
  });

  it('a cancelled run: its queued jobs are dropped, its workers told, and what they still send is ignored', async () => {
    const h = harness({ backends: ['sqlite', 'postgres'] });
    const run = await h.createRun();
    const [candidate, baseline] = h.work.take('build');
    await h.send(built(candidate));
    const cells = [...h.work.queued] as CellJob[];
    expect(cells.length).toBe(2);
    await h.send(started(cells[0]));

    const cancelled = await h.orchestrator.cancelRun(run.id, 'admin');
    expect(cancelled.outcome).toBe('cancelled');
    expect(cancelled.run).toMatchObject({ status: 'done', verdict: 'cancelled' });
    expect(h.seen.cancelled).toEqual([run.id]);
    expect(h.work.queued).toEqual([]);
    expect(h.seen.finished.map((r) => r.verdict)).toEqual(['cancelled']);

    // A side that ended as it was being stopped, the other build, a start: none changes the run.
    await h.send(done(cells[0], outcome([], ['t1'])), built(baseline), started(cells[1]), done(cells[1], outcome(['t1'])));
    expect(h.run(run.id)).toMatchObject({ status: 'done', verdict: 'cancelled' });
    expect(h.run(run.id).cells.map((c) => c.candidate.status)).not.toContain('failed');
    expect(h.work.queued).toEqual([]);
    expect(h.seen.finished.length).toBe(1);
    expect((await h.orchestrator.cancelRun(run.id, 'admin')).outcome).toBe('finished');
    expect((await h.orchestrator.cancelRun('rnope', 'admin')).outcome).toBe('unknown');
  });
});

describe('after a restart', () => {
  it('resume queues again what an unfinished run still needs', async () => {
    const h = harness();
    const { run } = await builtRun(h);
    // The jobs were lost with Redis: a new server on the same store, with an empty queue.
    const again = harness();
    const orchestrator = new Orchestrator(h.store, again.ports, { log: logger });
    await orchestrator.resume();
    expect(again.work.take('cell').map((c) => [c.runId, c.side])).toEqual([
      [run.id, 'candidate'],
      [run.id, 'baseline'],
    ]);
    expect(again.work.take('build')).toEqual([]);
  });

  it('a job the queue gave up on still ends its side as an error; one whose side ended is left alone', async () => {
    const h = harness();
    const { run, cells } = await builtRun(h);
    const c = sideOf(cells, 'candidate');
    const b = sideOf(cells, 'baseline');
    await h.send(done(b, outcome(['t1'])));
    h.work.failed = [
      { data: c, reason: 'job stalled more than allowable limit' },
      { data: b, reason: 'job stalled more than allowable limit' },
    ];
    expect(await h.orchestrator.sweepFailedJobs()).toBe(1);
    const end = h.run(run.id);
    expect(end.cells[0]).toMatchObject({ verdict: 'error', candidate: { status: 'error', reason: 'worker lost or failed past its retries: job stalled more than allowable limit' }, baseline: { status: 'passed' } });
    expect(end).toMatchObject({ status: 'done', verdict: 'incomplete' });
    expect(await h.orchestrator.sweepFailedJobs()).toBe(0);
  });

  it('a build job the queue gave up on fails its build', async () => {
    const h = harness();
    const run = await h.createRun();
    const [candidate] = h.work.take('build');
    h.work.failed = [{ data: candidate, reason: undefined }];
    expect(await h.orchestrator.sweepFailedJobs()).toBe(1);
    expect(h.store.build(run.id, 'candidate')).toMatchObject({ status: 'failed', reason: 'worker lost or failed past its retries: unknown' });
  });
});
