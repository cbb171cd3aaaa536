/**
 * Fault 1c: a worker process is SIGKILLed in the middle of a bisect step. The step is a queue job like
 * any cell side: once the dead worker's lock lapses another worker takes it, and the bisect ends with
 * every step it started recorded (none lost, none left as an error) and the right commit named.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BisectJson, RunJson } from '../../common/types.js';
import { LABEL_KIND, LABEL_RUN, LABEL_WORKER } from '../../workers/container/docker.js';
import { commitsBetween, fixtureConsumer, fixtureLibrary } from '../helpers/git-fixtures.js';
import { createDeployment, sleep, until, type Deployment } from '../helpers/processes.js';
import { writeMatrix } from '../helpers/stack.js';
import { lostCells } from './fixtures.js';
import { record } from './report.js';

let d: Deployment;
let lib: string;
let run: RunJson | null = null;
let faults = 0;

function matrix(dir: string): string {
  // 7 commits between the releases; the 5th after v1.0.0 breaks test_b.
  lib = fixtureLibrary(path.join(dir, 'repos', 'lib'), [
    ['v1.0.0', 'ok'],
    ...Array.from({ length: 7 }, (_, i): [null, string] => [null, i + 1 >= 5 ? 'break-b' : 'ok']),
    ['v1.1.0', 'break-b'],
  ]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 1 }
libraries:
  - name: lib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        # Slow enough to be caught running.
        test: sleep 8 && sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 60
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`,
  );
}

beforeAll(async () => {
  // A dead worker counts as dead 4 s after its last beat; a lost job's lock lapses after 10 s.
  d = await createDeployment({ matrix, env: { COMPAT_HEARTBEAT_SECONDS: '2', COMPAT_JOB_LOCK_SECONDS: '10' } });
  await d.startServer();
});

afterAll(async () => {
  const leftovers = await d.cleanup();
  record({ test: 'bisect-worker-kill', faults, cellsLost: lostCells(run, 1), leftovers, prefixes: [d.prefix] });
});

const bisectOf = (r: RunJson | null): BisectJson | undefined => r?.cells[0]?.bisect;

describe('a worker killed with SIGKILL in the middle of a bisect step', () => {
  it('loses no step: another worker runs it, and the bisect names the right commit', async () => {
    const a = await d.startWorker({ concurrency: 2 });
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });

    // The run is done and its bisect has a step running in a container of worker A.
    const stepping = await until(
      'a bisect step running on worker A',
      async () => {
        const r = await d.run(created.id);
        const b = bisectOf(r);
        if (r?.status !== 'done' || b?.status !== 'running' || !b.current) return null;
        const running = (await d.containers({ [LABEL_RUN]: created.id, [LABEL_KIND]: 'cell', [LABEL_WORKER]: a.id })).filter((c) => c.State === 'running');
        return running.length > 0 ? b : null;
      },
      300_000,
      500,
    );
    const stepsBefore = stepping.steps.length;
    a.proc.signal('SIGKILL');
    faults++;
    expect((await a.proc.exited).signal).toBe('SIGKILL');

    await sleep(5_000);
    await d.startWorker({ concurrency: 2 });
    const deadline = Date.now() + 600_000;
    for (;;) {
      run = await d.run(created.id);
      if (bisectOf(run)?.status !== 'running' || Date.now() > deadline) break;
      await sleep(1000);
    }
    const bisect = bisectOf(run)!;
    const commits = commitsBetween(lib, 'v1.0.0', 'v1.1.0');
    expect(bisect.status).toBe('found');
    expect(bisect.firstBad?.sha).toBe(commits[4]);
    // The step that was running when its worker died is there, with a real outcome, and so is every
    // step after it; none ended as an infrastructure error.
    expect(bisect.steps.length).toBeGreaterThan(stepsBefore);
    expect(bisect.steps[stepsBefore].sha).toBe(stepping.current);
    for (const step of bisect.steps) expect(step.outcome, step.sha).toBe(commits.indexOf(step.sha) >= 4 ? 'bad' : 'good');
    // Its log was written by the worker that finished it.
    const log = await d.api('GET', `/api/runs/${created.id}/bisects/app/steps/${stepsBefore}/logs`, undefined, null);
    expect(log.status).toBe(200);
    expect(log.text).toContain('suite on candidate');
    expect(await d.containers({ [LABEL_WORKER]: a.id })).toEqual([]);
  });
});
