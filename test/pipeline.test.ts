/**
 * The pipeline end to end on real parts: git repositories, Redis, Docker containers and the store.
 * The fixture suite decides its outcome from the library artifact, so each verdict is reached for real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';
import { createDocker } from '../common/docker/engine.js';
import { containersWith, LABEL_RUN } from '../workers/container/docker.js';

let stack: Stack;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'break-b'],
    ['v1.2.0', 'flaky-b'],
    ['v1.3.0', 'hang'],
    ['v1.4.0', 'build-fails'],
    ['v1.5.0', 'both-fail-a'],
    ['v1.5.1', 'both-fail-a'],
    ['v1.6.0', 'both-fail-a-and-c'],
    ['v1.7.0', 'ok'],
  ]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 2 }
libraries:
  - name: fixlib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 8
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`,
  );
}

async function run(candidate: string, baseline: string) {
  const created = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate, baseline });
  expect(created.status).toBe(201);
  // Bisects of its regressions too: their steps run in containers of the run.
  return stack.waitForSettled(created.body.id);
}

beforeAll(async () => {
  stack = await startStack({ matrix, concurrency: 3 });
});

afterAll(async () => {
  await stack?.close();
});

describe('verdicts from real containers', () => {
  it('pass: both sides pass, one attempt', async () => {
    const r = await run('v1.7.0', 'v1.0.0');
    expect(r.verdict).toBe('pass');
    expect(r.cells[0]).toMatchObject({ verdict: 'pass', attempts: 1, candidate: { status: 'passed', tests: { passed: 3, failed: 0 } } });
  });

  it('regression: confirmed by two re-runs, with the newly failing test named', async () => {
    const r = await run('v1.1.0', 'v1.0.0');
    expect(r.verdict).toBe('blocked');
    expect(r.cells[0]).toMatchObject({ verdict: 'regression', newFailures: ['suite::test_b'], attempts: 3 });
    const detail = await stack.api('GET', `/api/runs/${r.id}/cells/${r.cells[0].id}`);
    const failed = detail.body.tests.candidate.find((t: { id: string }) => t.id === 'suite::test_b');
    expect(failed).toMatchObject({ status: 'failed', message: expect.stringContaining('test_b broke & stopped') });
    const gate = await stack.api('GET', '/api/gate?library=fixlib&version=1.1.0');
    expect(gate.body).toMatchObject({ state: 'blocked', runId: r.id, regressions: [{ cell: 'app.sqlite', newFailures: ['suite::test_b'] }] });
  });

  it('flaky: the failure does not repeat on re-run and does not block', async () => {
    const r = await run('v1.2.0', 'v1.0.0');
    expect(r.cells[0].verdict).toBe('flaky');
    expect(r.verdict).toBe('pass');
  });

  it('fixed: baseline fails, candidate passes', async () => {
    const r = await run('v1.7.0', 'v1.1.0');
    expect(r.cells[0]).toMatchObject({ verdict: 'fixed', fixedTests: ['suite::test_b'] });
  });

  it('failing: both fail the same tests', async () => {
    const r = await run('v1.5.1', 'v1.5.0');
    expect(r.cells[0]).toMatchObject({ verdict: 'failing', newFailures: [] });
    expect(r.verdict).toBe('pass');
  });

  it('regression when both fail but the candidate fails a test the baseline passed', async () => {
    const r = await run('v1.6.0', 'v1.5.0');
    expect(r.cells[0]).toMatchObject({ verdict: 'regression', newFailures: ['suite::test_c'] });
  });

  it('a hanging suite is killed at its timeout, and the worker lives on', async () => {
    // The suite sleeps for an hour: that the run ends at all shows it was killed.
    const r = await run('v1.3.0', 'v1.0.0');
    expect(r.cells[0].verdict).toBe('regression');
    expect(r.cells[0].candidate.status).toBe('timeout');
    expect(r.cells[0].candidate.reason).toContain('timed out after 8 s');
    const leftovers = await containersWith(createDocker(), { [LABEL_RUN]: r.id });
    expect(leftovers).toEqual([]);
    const log = await stack.api('GET', `/api/runs/${r.id}/cells/app.sqlite/logs?side=candidate`);
    expect(log.body).toContain('hanging');
    expect(log.body).toContain('killed after the 8 s timeout');
  });

  it('an artifact build that fails gives error on every cell and an incomplete run', async () => {
    const r = await run('v1.4.0', 'v1.0.0');
    expect(r.verdict).toBe('incomplete');
    expect(r.cells[0]).toMatchObject({ verdict: 'error', candidate: { status: 'error', reason: expect.stringContaining('artifact build failed') } });
    const log = await fetch(`${stack.server.url}/api/runs/${r.id}/builds/candidate/logs`).then((res) => res.text());
    expect(log).toContain('error: syntax');
  });

  it('refuses a ref that does not exist, before anything is enqueued', async () => {
    const res = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v9.9.9' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/candidate: ref "v9.9.9" does not exist/);
    const bad = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v1.0.0;reboot' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/body.candidate: not a valid git ref/);
    expect((await stack.server.store.listRuns()).some((x) => x.candidate.startsWith('v9'))).toBe(false);
  });

  it('chooses the baseline by semver when none is given', async () => {
    // A tag created last but lower in version must not be chosen over a higher one.
    const repo = path.join(stack.dir, 'repos', 'fixlib');
    execFileSync('git', ['tag', 'v1.0.5', 'v1.0.0'], { cwd: repo });
    const res = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v1.7.0', consumers: ['app'] });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({ baseline: 'v1.6.0', baselineVersion: '1.6.0', candidateVersion: '1.7.0' });
    await stack.waitForRun(res.body.id);
  });
});
