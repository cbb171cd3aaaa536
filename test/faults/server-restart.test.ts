/**
 * Fault 1c: the server process (the store's one writer) is SIGKILLed in the middle of a run and started
 * again on the same data dir and prefix. Results that workers sent meanwhile wait in the results queue;
 * the restarted server applies them and resumes the run: nothing is lost, the run completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../common/types.js';
import { LABEL_KIND, LABEL_RUN } from '../../workers/container/docker.js';
import { createDeployment, sleep, until, type Deployment } from '../helpers/processes.js';
import { faultMatrix, lostCells } from './fixtures.js';
import { record } from './report.js';

let d: Deployment;
let run: RunJson | null = null;
let faults = 0;

beforeAll(async () => {
  d = await createDeployment({
    matrix: (dir) =>
      faultMatrix(
        dir,
        [
          { name: 'slow', suite: 'slow.sh', extra: ['        env: { SLOW_SECONDS: "5" }'] },
          { name: 'good', suite: 'good.sh' },
          { name: 'breaks', suite: 'breaks.sh' },
        ],
        // A regression must still be confirmed by its re-run across the restart.
        { reruns: 1, extraSuites: { 'breaks.sh': '. ./lib.sh\nif [ "$COMPAT_SIDE" = candidate ]; then echo "assert failed"; exit 1; fi\npass breaks\n' } },
      ),
  });
  await d.startServer();
  await d.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  const leftovers = await d.cleanup();
  record({ test: 'server-restart', faults, cellsLost: lostCells(run, 3), leftovers, prefixes: [d.prefix] });
});

describe('the server restarted in the middle of a run', () => {
  it('loses no result: the run completes with the right verdicts', async () => {
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    await until('cells running', async () => (await d.containers({ [LABEL_RUN]: created.id, [LABEL_KIND]: 'cell' })).some((c) => c.State === 'running'), 90_000);

    d.server!.signal('SIGKILL');
    faults++;
    await d.server!.exited;
    // Cells go on finishing while the server is away; their results wait in the queue.
    await until('results waiting for the server', async () => (await d.redis().llen(`${d.prefix}:results:wait`)) >= 2, 60_000, 500);
    await sleep(1_000);
    await d.startServer();

    run = await d.waitForRun(created.id, 600_000);
    const verdicts = Object.fromEntries(run.cells.map((c) => [c.id, c.verdict]));
    expect(verdicts).toEqual({ 'good.sqlite': 'pass', 'slow.sqlite': 'pass', 'breaks.sqlite': 'regression' });
    expect(run.verdict).toBe('blocked');
    const breaks = run.cells.find((c) => c.id === 'breaks.sqlite')!;
    expect(breaks.attempts).toBe(2);
    for (const cell of run.cells.filter((c) => c.verdict === 'pass')) {
      expect([cell.candidate.tests.passed, cell.baseline.tests.passed]).toEqual([1, 1]);
    }
    // Logs of the sides that finished while the server was down were archived after all.
    const log = await d.api('GET', `/api/runs/${run.id}/cells/slow.sqlite/logs?side=candidate`, undefined, null);
    expect(log.text).toContain('finished');
    expect(await d.containers({ [LABEL_RUN]: created.id })).toEqual([]);
  });
});
