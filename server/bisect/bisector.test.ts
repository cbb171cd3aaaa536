/** The bisector's steps on an in-memory store and fake ports: what it queues, how it reads each step's result, when it stops. */
import { describe, expect, it } from 'vitest';
import { logger } from '../../common/logger.js';
import type { BisectStepJob, CellJob } from '../../common/queue/jobs.js';
import { Orchestrator } from '../runs/orchestrator.js';
import { bisectBuilt, built, done, harness, outcome, stepped, type HarnessOptions } from '../testing/harness.js';
import { answerOf, NotARegression, UnknownCell } from './bisector.js';

const FAILS = outcome(['t1'], ['t2']);
const PASSES = outcome(['t1', 't2']);

/** A run whose one cell regressed (t2), its bisect started. */
async function regressed(options: HarnessOptions = {}) {
  const h = harness({ reruns: 0, ...options });
  const run = await h.createRun();
  for (const build of h.work.take('build')) await h.send(built(build));
  const cells = h.work.take('cell');
  for (const cell of cells) await h.send(done(cell, cell.side === 'candidate' ? FAILS : PASSES));
  expect(h.run(run.id).cells[0].verdict).toBe('regression');
  const indexOf = (sha: string) => h.commits.findIndex((c) => c.sha === sha);
  return { ...h, runId: run.id, cells, indexOf };
}

type Regressed = Awaited<ReturnType<typeof regressed>>;

/** Plays the workers: builds each commit (but `unbuildable` ones) and runs each step, bad from `firstBad` on, until nothing is queued. */
async function playWorkers(h: Regressed, firstBad: number, options: { unbuildable?: number[]; twice?: boolean; erroredOnce?: number[] } = {}) {
  const errored = new Set<number>();
  for (let round = 0; round < 50; round++) {
    const builds = h.work.take('bisect-build');
    const steps = h.work.take('bisect-step');
    if (!builds.length && !steps.length) return;
    for (const job of builds) {
      const message = bisectBuilt(job, !options.unbuildable?.includes(h.indexOf(job.sha)));
      await h.send(message, ...(options.twice ? [message] : []));
    }
    for (const job of steps) {
      const i = h.indexOf(job.sha);
      let result = i >= firstBad ? FAILS : PASSES;
      if (options.erroredOnce?.includes(i) && !errored.has(i)) {
        errored.add(i);
        result = { status: 'error', durationMs: 0, overheadMs: null, tests: [], reason: 'OOM killed' };
      }
      await h.send(stepped(job, result), ...(options.twice ? [stepped(job, result)] : []));
    }
  }
  throw new Error('the bisect did not end in 50 rounds');
}

const bisectOf = (h: Regressed) => h.run(h.runId).cells[0].bisect!;

describe('a bisect', () => {
  it('names the first bad commit within log2 + 2 steps, every step good or bad', async () => {
    const h = await regressed();
    await playWorkers(h, 5);
    const bisect = bisectOf(h);
    expect(bisect).toMatchObject({ status: 'found', firstBad: { sha: h.commits[5].sha, subject: 'change 5' }, commits: 8 });
    expect(bisect.steps.length).toBeLessThanOrEqual(Math.log2(8) + 2);
    for (const step of bisect.steps) expect(step.outcome).toBe(h.indexOf(step.sha) >= 5 ? 'bad' : 'good');
    expect(h.seen.bisected.length).toBe(1);
  });

  it('queues each step on the regressed cell with its new failures selected, built once per commit', async () => {
    const h = await regressed({ backends: ['postgres'], rerun: 'pytest {tests}' });
    const builds = h.work.take('bisect-build');
    // The step's own commit, and the commits the next step may test (after a good or a bad one), built while it waits.
    const first = builds.find((b) => b.sha === bisectOf(h).current)!;
    const prefetched = builds.filter((b) => b !== first);
    expect(prefetched.length).toBe(2);
    expect(first).toMatchObject({ kind: 'bisect-build', runId: h.runId, ref: first.sha, version: `1.0.0+${first.sha.slice(0, 7)}`, library: { repo: 'https://git.example.org/lib.git' } });
    await h.send(bisectBuilt(first));
    const [step] = h.work.take('bisect-step') as BisectStepJob[];
    const cell = h.cells.find((c) => c.side === 'candidate') as CellJob;
    expect(step).toMatchObject({
      runId: h.runId,
      cellId: 'app.postgres',
      side: 'candidate',
      seq: 0,
      attempt: 0,
      sha: first.sha,
      tests: ['t2'],
      backend: 'postgres',
      databaseImage: 'compat-postgres:15',
      consumer: cell.consumer,
      artifactKey: `art-${first.sha.slice(0, 7)}`,
    });
    expect(prefetched.every((b) => b.sha !== first.sha)).toBe(true);
    const ids = h.work.enqueued.filter((e) => e.job.kind === 'bisect-build').map((e) => (e.job as { sha: string }).sha);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gets to the same answer when every build and step result is delivered twice', async () => {
    const h = await regressed();
    await playWorkers(h, 3, { twice: true });
    expect(bisectOf(h)).toMatchObject({ status: 'found', firstBad: { sha: h.commits[3].sha } });
    expect(h.seen.bisected.length).toBe(1);
  });

  it('skips a commit that does not build, and says which commits the answer is among when that hides it', async () => {
    const h = await regressed();
    await playWorkers(h, 5, { unbuildable: [4] });
    const bisect = bisectOf(h);
    expect(bisect.steps.filter((s) => s.outcome === 'skip')).toEqual([expect.objectContaining({ sha: h.commits[4].sha, detail: 'did not build: does not compile' })]);
    expect(bisect).toMatchObject({ status: 'inconclusive', candidates: [{ sha: h.commits[4].sha }, { sha: h.commits[5].sha }] });
    expect(bisect.reason).toMatch(/skipped, not testable: /);
  });

  it('runs a step again after an infrastructure error instead of judging the commit by it', async () => {
    const h = await regressed();
    await playWorkers(h, 5, { erroredOnce: [4] });
    const bisect = bisectOf(h);
    expect(bisect).toMatchObject({ status: 'found', firstBad: { sha: h.commits[5].sha } });
    const onFour = bisect.steps.filter((s) => s.sha === h.commits[4].sha);
    expect(onFour[0]).toMatchObject({ outcome: 'error', detail: expect.stringContaining('OOM killed') });
    expect(onFour[1]).toMatchObject({ outcome: 'good', purpose: 'retry' });
  });

  it('ends inconclusive at once when the candidate is not after the baseline', async () => {
    const h = harness({ reruns: 0, commits: 0 });
    const run = await h.createRun({ candidate: 'v1.1.0', baseline: 'v1.0.0' });
    for (const build of h.work.take('build')) await h.send(built(build));
    for (const cell of h.work.take('cell')) await h.send(done(cell, cell.side === 'candidate' ? FAILS : PASSES));
    expect(h.run(run.id).cells[0].bisect).toMatchObject({ status: 'inconclusive', reason: 'the candidate is not after the baseline on its first-parent history' });
    expect(h.work.queued).toEqual([]);
  });

  it('goes on after a restart from the step its store says is in flight', async () => {
    const h = await regressed();
    const first = h.work.take('bisect-build').find((b) => b.sha === bisectOf(h).current)!;
    await h.send(bisectBuilt(first));
    expect(h.work.take('bisect-step').length).toBe(1);
    const again = harness();
    await new Orchestrator(h.store, again.ports, { log: logger }).resume();
    expect(again.work.take('bisect-step').map((s) => [s.seq, s.sha])).toEqual([[0, first.sha]]);
  });
});

describe('a bisect per test (issue 23)', () => {
  // t2 and t3 first fail at commit 3, t4 at commit 6 (of 8): two causes in one cell.
  const at = (i: number) => outcome(['t1', ...(i < 3 ? ['t2', 't3'] : []), ...(i < 6 ? ['t4'] : [])], [...(i >= 3 ? ['t2', 't3'] : []), ...(i >= 6 ? ['t4'] : [])]);
  async function twoCauses(backends: Array<'sqlite' | 'postgres'> = ['sqlite']) {
    const h = harness({ reruns: 0, backends });
    const run = await h.createRun();
    for (const build of h.work.take('build')) await h.send(built(build));
    for (const cell of h.work.take('cell')) await h.send(done(cell, cell.side === 'candidate' ? (cell.cellId === 'app.postgres' ? outcome(['t1', 't3', 't4'], ['t2', 't5']) : at(8)) : outcome(['t1', 't2', 't3', 't4', ...(cell.cellId === 'app.postgres' ? ['t5'] : [])])));
    const indexOf = (sha: string) => h.commits.findIndex((c) => c.sha === sha);
    for (let round = 0; round < 60; round++) {
      const builds = h.work.take('bisect-build');
      const steps = h.work.take('bisect-step');
      if (!builds.length && !steps.length) break;
      for (const job of builds) await h.send(bisectBuilt(job));
      for (const job of steps) await h.send(stepped(job, at(indexOf(job.sha))));
    }
    return { h, run: h.run(run.id) };
  }

  it('names both first bad commits with their tests, the earliest as firstBad, in at most one search per cause', async () => {
    const { h, run } = await twoCauses();
    const bisect = run.cells[0].bisect!;
    expect(bisect).toMatchObject({
      status: 'found',
      firstBad: { sha: h.commits[3].sha },
      culprits: [
        { firstBad: { sha: h.commits[3].sha, subject: 'change 3' }, tests: ['t2', 't3'] },
        { firstBad: { sha: h.commits[6].sha, subject: 'change 6' }, tests: ['t4'] },
      ],
      explains: { tests: 3, of: 3 },
    });
    // One search of 8 commits takes at most log2(8) + 2 steps (search.test.ts); two, twice that.
    expect(bisect.steps.length).toBeLessThanOrEqual(2 * (Math.log2(8) + 2));
  });

  it('says on another cell which cell it ran on and how many of that cell\'s new failures it explains', async () => {
    const { run } = await twoCauses(['sqlite', 'postgres']);
    const postgres = run.cells.find((c) => c.id === 'app.postgres')!;
    const sqlite = run.cells.find((c) => c.id === 'app.sqlite')!;
    // t5 fails on postgres only: the sqlite bisect does not explain it.
    expect(postgres.newFailures).toEqual(['t2', 't5']);
    // The cheapest cell: sqlite (same durations).
    expect(sqlite.bisect).toMatchObject({ cellId: 'app.sqlite', explains: { tests: 3, of: 3 } });
    expect(postgres.bisect).toMatchObject({ cellId: 'app.sqlite', explains: { tests: 1, of: 2 } });
  });
});

describe('answerOf: the end of a bisect from its groups', () => {
  const commits = Array.from({ length: 15 }, (_, i) => ({ sha: `${i}`.padStart(7, '0').padEnd(40, 'a'), subject: `change ${i}`, author: 'A', date: '2026-01-01' }));
  const inconclusive = { kind: 'inconclusive' as const, lo: 7, hi: 10, why: { skipped: [8, 9], flaky: [], errored: [], capReached: false } };
  it('merges groups found at one commit, earliest first', () => {
    const end = answerOf(commits, [{ tests: ['b'], decision: { kind: 'found', index: 9 } }, { tests: ['a'], decision: { kind: 'found', index: 4 } }, { tests: ['c'], decision: { kind: 'found', index: 9 } }], 7);
    expect(end).toEqual({ status: 'found', firstBad: commits[4], culprits: [{ firstBad: commits[4], tests: ['a'] }, { firstBad: commits[9], tests: ['b', 'c'] }] });
  });
  it('is found when a group is, naming the groups left open and why', () => {
    const end = answerOf(commits, [{ tests: ['a', 'b'], decision: { kind: 'found', index: 4 } }, { tests: ['c'], decision: inconclusive }], 7);
    expect(end).toMatchObject({ status: 'found', firstBad: commits[4], culprits: [{ firstBad: commits[4], tests: ['a', 'b'] }] });
    expect(end.reason).toBe('not found for 1 test: the first bad commit is one of 3 (0000008..0000010); skipped, not testable: 0000008, 0000009');
  });
  it('one group left open reads as a bisect of the cell as a whole always did', () => {
    expect(answerOf(commits, [{ tests: ['a'], decision: inconclusive }], 7)).toEqual({
      status: 'inconclusive',
      candidates: commits.slice(8, 11),
      reason: 'the first bad commit is one of 3 (0000008..0000010); skipped, not testable: 0000008, 0000009',
    });
  });
});

describe('starting one by hand', () => {
  it('refuses a cell that did not regress, and one that does not exist', async () => {
    const h = harness({ reruns: 0 });
    const run = await h.createRun();
    for (const build of h.work.take('build')) await h.send(built(build));
    for (const cell of h.work.take('cell')) await h.send(done(cell, PASSES));
    await expect(h.orchestrator.startBisect(run.id, 'app.sqlite')).rejects.toThrow(NotARegression);
    await expect(h.orchestrator.startBisect(run.id, 'nope.sqlite')).rejects.toThrow(UnknownCell);
  });

  it('answers the bisect that exists rather than starting a second', async () => {
    const h = await regressed();
    const before = h.work.enqueued.length;
    const bisect = await h.orchestrator.startBisect(h.runId, 'app.sqlite');
    expect(bisect).toMatchObject({ status: 'running', cellId: 'app.sqlite' });
    expect(h.work.enqueued.length).toBe(before);
  });
});
