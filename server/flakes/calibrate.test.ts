/**
 * Calibration end to end on the orchestrator (in-memory store, fake ports): runs of a release against
 * itself record each test's failures; a later run's new failure of a test measured flaky gets the
 * re-runs its rate needs, and is `flaky` when they do not all fail; a test never seen failing keeps
 * today's rule.
 */
import { describe, expect, it } from 'vitest';
import { gateOf } from '../../common/verdict.js';
import { built, done, harness, outcome } from '../testing/harness.js';
import { calibrate } from './calibrate.js';

const TESTS = ['app::a', 'app::b', 'app::flappy'];
const result = (failed: string[]) => outcome(TESTS.filter((t) => !failed.includes(t)), failed);

describe('compat calibrate', () => {
  it('measures rates from runs of the release against itself, which never bisect nor decide the gate', async () => {
    const h = harness({ reruns: 2 });
    const { version, runs } = await calibrate(h.orchestrator, h.ports.repos, h.matrix, { library: 'lib', runs: 5 }, 'ci');
    expect(version).toBe('v1.1.0');
    expect(runs).toHaveLength(5);
    for (const build of h.work.take('build')) await h.send(built(build));
    // 10 samples (5 runs x 2 sides): flappy fails in 3 of them, each on one side.
    let n = 0;
    for (let round = 0; round < 4; round++) for (const job of h.work.take('cell')) await h.send(done(job, result(job.attempt === 0 && n++ % 10 < 3 ? ['app::flappy'] : [])));
    expect(h.work.take('bisect-build')).toEqual([]);
    const first = h.run(runs[0]);
    expect([first.candidate, first.baseline, first.ownBaseline]).toEqual(['v1.1.0', 'v1.1.0', false]);
    expect(gateOf(runs.map((id) => h.run(id))).state).toBe('pending');
    expect(h.store.flakeRates({ library: 'lib', consumer: 'app' })).toMatchObject([{ cell: 'app.sqlite', test: 'app::flappy', failures: 3, samples: 10, rate: 4 / 12 }]);
    expect(h.store.runMeta(runs[0])?.calibration).toMatchObject({ index: 0, of: 5 });

    // A candidate whose first attempt fails flappy anew: rate 1/3 needs ceil(log 0.001 / log(1/3)) = 7 re-runs.
    const run = await h.createRun();
    for (const build of h.work.take('build')) await h.send(built(build));
    const attempts = new Map<number, number>();
    for (let round = 0; round < 10; round++) {
      for (const job of h.work.take('cell')) {
        attempts.set(job.attempt, (attempts.get(job.attempt) ?? 0) + 1);
        // The candidate fails it on every attempt but the 5th: chance, not a regression.
        const fails = job.side === 'candidate' && job.attempt !== 5;
        await h.send(done(job, result(fails ? ['app::flappy'] : [])));
      }
    }
    expect([...attempts.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(h.run(run.id).cells[0]).toMatchObject({ verdict: 'flaky', attempts: 8 });
    expect(h.run(run.id).verdict).toBe('pass');
  });

  it('keeps today’s rule for a test calibration never saw failing', async () => {
    const h = harness({ reruns: 2 });
    const { runs } = await calibrate(h.orchestrator, h.ports.repos, h.matrix, { library: 'lib', runs: 2 }, 'ci');
    expect(runs).toHaveLength(2);
    for (const build of h.work.take('build')) await h.send(built(build));
    for (const job of h.work.take('cell')) await h.send(done(job, result([])));
    const run = await h.createRun();
    for (const build of h.work.take('build')) await h.send(built(build));
    for (let round = 0; round < 4; round++) for (const job of h.work.take('cell')) await h.send(done(job, result(job.side === 'candidate' ? ['app::b'] : [])));
    expect(h.run(run.id).cells[0]).toMatchObject({ verdict: 'regression', attempts: 3, newFailures: ['app::b'] });
  });

  it('refuses a run count out of bounds', async () => {
    const h = harness();
    await expect(calibrate(h.orchestrator, h.ports.repos, h.matrix, { library: 'lib', runs: 0 }, 'ci')).rejects.toThrow(/runs: 0/);
  });
});
