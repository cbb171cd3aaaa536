/**
 * Automatic bisect on real parts: a fixture library with commits between its releases (real git), its
 * builds and the regressed cell's steps in real containers, the queue on real Redis. Each history puts
 * the culprit somewhere the search has to work for: found, next to unbuildable commits, past a flaky step.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BisectJson, RunJson } from '../common/types.js';
import { commitsBetween, fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');

let stack: Stack;
let lib: string;

/** Three release pairs on one first-parent history; `null` tags are the commits between them. */
const HISTORY: Array<[string | null, string]> = [
  // found: 8 commits between v1.0.0 and v1.1.0, the 6th after v1.0.0 breaks test_b
  ['v1.0.0', 'ok'],
  ...Array.from({ length: 8 }, (_, i): [null, string] => [null, i + 1 >= 6 ? 'break-b' : 'ok']),
  ['v1.1.0', 'break-b'],
  // inconclusive: the culprit (5th) right after two commits that do not build
  ['v2.0.0', 'ok'],
  [null, 'ok'],
  [null, 'ok'],
  [null, 'build-fails'],
  [null, 'build-fails'],
  [null, 'break-b'],
  [null, 'break-b'],
  ['v2.1.0', 'break-b'],
  // flaky: the 3rd commit's first step fails by chance; the culprit is the 5th
  ['v3.0.0', 'ok'],
  [null, 'ok'],
  [null, 'ok'],
  [null, 'flaky-once-b'],
  [null, 'ok'],
  ...Array.from({ length: 5 }, (): [null, string] => [null, 'break-b']),
  ['v3.1.0', 'break-b'],
];

function matrix(dir: string): string {
  lib = fixtureLibrary(path.join(dir, 'repos', 'bislib'), HISTORY);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 1 }
libraries:
  - name: bislib
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
        timeoutSeconds: 30
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
      - name: bystander
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: "true"
        test: echo never upserts
        backends: [sqlite]
        timeoutSeconds: 30
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
  - name: nobis
    repo: ${lib}
    bisect: false
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 30
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`,
  );
}


async function bisected(candidate: string, baseline: string): Promise<{ run: RunJson; bisect: BisectJson }> {
  const created = await stack.api('POST', '/api/runs', { library: 'bislib', candidate, baseline });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const deadline = Date.now() + 900_000;
  for (;;) {
    const run = stack.server.store.getRun(id)!;
    const bisect = run.cells.find((c) => c.id === 'app.sqlite')?.bisect;
    if (run.status === 'done' && bisect && bisect.status !== 'running') return { run, bisect };
    if (Date.now() > deadline) throw new Error(`bisect of ${candidate} not done: ${JSON.stringify(run.cells.map((c) => [c.id, c.verdict, c.bisect]))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function compat(...args: string[]): Promise<{ code: number; stdout: string }> {
  const env = { ...process.env, COMPAT_SERVER_URL: stack.server.url, COMPAT_TOKEN: stack.server.adminToken, COMPAT_DATA_DIR: stack.config.dataDir };
  try {
    const { stdout } = await execFileAsync(process.execPath, [path.join(ROOT, 'bin', 'compat.js'), ...args], { env, cwd: ROOT });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

let unbisected: RunJson;
let found: { run: RunJson; bisect: BisectJson };
let blocked: { run: RunJson; bisect: BisectJson };
let flaky: { run: RunJson; bisect: BisectJson };

beforeAll(async () => {
  stack = await startStack({ matrix, concurrency: 3 });
  const off = await stack.api('POST', '/api/runs', { library: 'nobis', candidate: 'v1.1.0', baseline: 'v1.0.0' });
  [found, blocked, flaky, unbisected] = await Promise.all([
    bisected('v1.1.0', 'v1.0.0'),
    bisected('v2.1.0', 'v2.0.0'),
    bisected('v3.1.0', 'v3.0.0'),
    stack.waitForRun(off.body.id),
  ]);
});

afterAll(async () => {
  await stack?.close();
});

describe('bisect of a confirmed regression', () => {
  it('names the commit that broke the cell, with its subject, author and date, within ceil(log2 N) + 2 steps', () => {
    const commits = commitsBetween(lib, 'v1.0.0', 'v1.1.0');
    expect(found.bisect).toMatchObject({ status: 'found', cellId: 'app.sqlite', commits: commits.length });
    expect(found.bisect.firstBad).toMatchObject({ sha: commits[5], subject: 'commit 6: break-b', author: 'Fixture', date: expect.stringMatching(/^2026-01-01T/) });
    expect(found.bisect.firstBad!.url).toBeUndefined(); // a local repository has no web page
    expect(found.bisect.steps.length).toBeGreaterThan(0);
    expect(found.bisect.steps.length).toBeLessThanOrEqual(Math.ceil(Math.log2(commits.length)) + 2);
    // Every step's outcome agrees with what its commit really does.
    for (const step of found.bisect.steps) expect(step.outcome, step.sha).toBe(commits.indexOf(step.sha) >= 5 ? 'bad' : 'good');
    // Only the regressed consumer is bisected.
    expect(found.run.cells.find((c) => c.id === 'bystander.sqlite')).toMatchObject({ verdict: 'pass' });
    expect(found.run.cells.find((c) => c.id === 'bystander.sqlite')?.bisect).toBeUndefined();
  });

  it('ends inconclusive, naming the candidate range, when the culprit sits right after unbuildable commits', () => {
    const commits = commitsBetween(lib, 'v2.0.0', 'v2.1.0');
    expect(blocked.bisect.status).toBe('inconclusive');
    expect(blocked.bisect.firstBad).toBeUndefined();
    expect(blocked.bisect.candidates?.map((c) => c.sha)).toEqual(commits.slice(2, 5));
    expect(blocked.bisect.reason).toContain(`one of 3 (${commits[2].slice(0, 7)}..${commits[4].slice(0, 7)})`);
    expect(blocked.bisect.reason).toContain('skipped');
    const skipped = blocked.bisect.steps.filter((s) => s.outcome === 'skip');
    expect(skipped.map((s) => s.sha).sort()).toEqual([commits[2], commits[3]].sort());
    expect(skipped[0].detail).toContain('artifact build failed');
  });

  it('does not name a wrong commit when a step is flaky: it is re-run, seen good and bad, and never taken for either', () => {
    const commits = commitsBetween(lib, 'v3.0.0', 'v3.1.0');
    const flakyCommit = commits[2];
    expect(flaky.bisect.steps.filter((s) => s.sha === flakyCommit).map((s) => s.outcome)).toEqual(['bad', 'good']);
    if (flaky.bisect.status === 'found') expect(flaky.bisect.firstBad?.sha).toBe(commits[4]);
    else expect(flaky.bisect.reason).toContain('flaky');
    expect(flaky.bisect.firstBad?.sha).not.toBe(flakyCommit);
  });

  it('compat bisect and its route: 0 found, 3 inconclusive, 2 not a regression, 4 unknown run or cell', async () => {
    const one = await compat('bisect', found.run.id, 'app.sqlite', '--wait', '--json');
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ status: 'found', firstBad: { sha: found.bisect.firstBad!.sha } });
    const text = await compat('bisect', found.run.id, 'app.sqlite');
    expect(text.stdout).toContain(`first bad commit: ${found.bisect.firstBad!.sha.slice(0, 7)} commit 6: break-b`);
    expect((await compat('bisect', blocked.run.id, 'app.sqlite', '--wait')).code).toBe(3);
    expect((await compat('bisect', found.run.id, 'bystander.sqlite')).code).toBe(2);
    expect((await compat('bisect', found.run.id, 'nope.sqlite')).code).toBe(4);
    expect((await compat('bisect', 'no-such-run', 'app.sqlite')).code).toBe(4);

    expect((await stack.api('POST', `/api/runs/${found.run.id}/cells/bystander.sqlite/bisect`)).status).toBe(409);
    expect((await stack.api('POST', `/api/runs/${found.run.id}/cells/app.sqlite/bisect`, undefined, null)).status).toBe(401);
    const again = await stack.api('POST', `/api/runs/${found.run.id}/cells/app.sqlite/bisect`);
    expect(again.status).toBe(202);
    expect(again.body.bisect).toMatchObject({ status: 'found', steps: found.bisect.steps.map((s) => ({ sha: s.sha, outcome: s.outcome })) });
  });

  it('bisect: false leaves a regression alone; by hand it still starts one', async () => {
    expect(unbisected.cells.find((c) => c.id === 'app.sqlite')).toMatchObject({ verdict: 'regression' });
    expect(stack.server.store.getRun(unbisected.id)!.cells.some((c) => c.bisect)).toBe(false);
    const started = await stack.api('POST', `/api/runs/${unbisected.id}/cells/app.sqlite/bisect`);
    expect(started.status).toBe(202);
    expect(started.body.bisect).toMatchObject({ status: 'running', cellId: 'app.sqlite', steps: [] });
    const done = await compat('bisect', unbisected.id, 'app.sqlite', '--wait', '--json');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout).firstBad.sha).toBe(commitsBetween(lib, 'v1.0.0', 'v1.1.0')[5]);
  });

  it('shows in compat report and its JSON, and each step has its log', async () => {
    const report = await compat('report', found.run.id);
    expect(report.stdout).toContain(`first bad: ${found.bisect.firstBad!.sha.slice(0, 7)}`);
    const json = await compat('report', found.run.id, '--json');
    expect(JSON.parse(json.stdout).cells.find((c: { id: string }) => c.id === 'app.sqlite').bisect.firstBad.sha).toBe(found.bisect.firstBad!.sha);
    const log = await fetch(`${stack.server.url}/api/runs/${found.run.id}/bisects/app/steps/0/logs`);
    expect(log.status).toBe(200);
    expect(await log.text()).toMatch(/suite on candidate .*behaviour=(ok|break-b)/);
  });
});
