/**
 * Webhooks to runs to commit statuses, on the real stack: a server with the production plugins, a
 * worker running fixture suites in Docker, Redis, git fixtures, and a local stand-in for GitHub's API.
 * The tests run in order and share runs: the gate tests read the runs the webhook tests started.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, REPO_ROOT } from '../common/config.js';
import { createQueues } from '../common/queue/bullmq.js';
import type { RunJson } from '../common/types.js';
import { pluginOptions } from '../server/main.js';
import { startServer, type ServerHandle } from '../server/server.js';
import { githubSignature } from '../server/webhooks/index.js';
import { RATE_LIMITED_ONCE, SERVER_ERROR, startFakeGithub, type FakeGithub } from './helpers/fake-github.js';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const LIB_SECRET = 'fixlib-webhook-secret';
const DEFAULT_SECRET = 'org-wide-webhook-secret';
const GITHUB_TOKEN = 'ghp_webhookTestToken';
const GITLAB_TOKEN = 'glpat-webhookTestToken';
const ENV = {
  COMPAT_WEBHOOK_SECRET_FIXLIB: LIB_SECRET,
  COMPAT_WEBHOOK_SECRET_FIXLAB: LIB_SECRET,
  COMPAT_WEBHOOK_SECRET: DEFAULT_SECRET,
  COMPAT_GITHUB_TOKEN: GITHUB_TOKEN,
  COMPAT_GITLAB_TOKEN: GITLAB_TOKEN,
};

let stack: Stack;
/** The server in use: replaced by the restart test. */
let server: ServerHandle;
let fake: FakeGithub;
let libRepo: string;
/** fixlib's history under another library name, whose statuses go to GitLab. */
let labRepo: string;
const savedEnv: Record<string, string | undefined> = {};

function matrix(dir: string): string {
  libRepo = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'break-b'],
    ['v1.1.1', 'ok'],
    ['v1.3.0', 'ok'],
    ['v1.4.0', 'ok'],
    ['v1.5.0', 'ok'],
    ['v1.6.0', 'break-b'],
    ['v2.0.0', 'build-fails'],
  ]);
  labRepo = path.join(dir, 'repos', 'fixlab.git');
  execFileSync('git', ['clone', '-q', '--mirror', libRepo, labRepo]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  const library = (name: string, repo: string, forge: string) => `  - name: ${name}
    repo: ${repo}
    forge: ${forge}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 20
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`;
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 2 }
libraries:
${library('fixlib', libRepo, '{ github: fixtures/fixlib }')}${library('fixlab', labRepo, '{ gitlab: fixtures/sub/fixlab }')}`,
  );
}

function commitOf(tag: string): string {
  return execFileSync('git', ['rev-parse', `${tag}^{commit}`], { cwd: libRepo, encoding: 'utf8' }).trim();
}

const repository = () => ({ full_name: 'fixtures/fixlib', clone_url: libRepo, html_url: 'https://git.example.invalid/fixtures/fixlib' });

interface Delivery {
  event?: string | null;
  delivery?: string;
  /** The secret to sign with; null sends no signature. */
  secret?: string | null;
  signature?: string;
  raw?: string;
  headers?: Record<string, string>;
}

async function http(method: string, route: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${route}`, { method, headers, body });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

function github(payload: unknown, options: Delivery = {}) {
  const raw = options.raw ?? JSON.stringify(payload, null, 2);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'GitHub-Hookshot/abc123', ...options.headers };
  if (options.event !== null) headers['X-GitHub-Event'] = options.event ?? 'create';
  headers['X-GitHub-Delivery'] = options.delivery ?? randomUUID();
  const secret = options.secret === undefined ? LIB_SECRET : options.secret;
  if (options.signature !== undefined) headers['X-Hub-Signature-256'] = options.signature;
  else if (secret !== null) headers['X-Hub-Signature-256'] = githubSignature(Buffer.from(raw), secret);
  return http('POST', '/webhooks/github', raw, headers);
}

const createTag = (tag: string) => ({ ref: tag, ref_type: 'tag', master_branch: 'main', description: null, pusher_type: 'user', repository: repository(), sender: { login: 'maintainer' } });
const pushTag = (tag: string) => ({
  ref: `refs/tags/${tag}`,
  before: '0'.repeat(40),
  after: commitOf(tag),
  created: true,
  deleted: false,
  forced: false,
  base_ref: null,
  head_commit: { id: commitOf(tag), message: `release ${tag}` },
  repository: repository(),
});

async function waitForRun(id: string, timeoutMs = 600_000): Promise<RunJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = server.store.getRun(id);
    if (run?.status === 'done') return run;
    if (Date.now() > deadline) throw new Error(`run ${id} not done after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function until<T>(fn: () => T | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What a forge must show whatever the speed: the last state posted is the run's final one, and
 * `pending` never comes after a final state. Whether `pending` was posted at all depends on whether
 * the run was still going when the sender got through (a fast run coalesces it away), so it may be
 * missing; the test with a held run below shows that it is posted when the run is still going.
 */
function expectSettledOn(states: string[], final: string): void {
  expect([[final], ['pending', final]]).toContainEqual(states);
}

function runsOf(candidate: string) {
  return server.store.listRuns({ library: 'fixlib' }).filter((r) => r.candidate === candidate);
}

async function workJobCount(): Promise<number> {
  const queues = createQueues(stack.config);
  try {
    const counts = await queues.jobCounts('build');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queues.close();
  }
}

function gate(version: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return compat(['gate', '--library', 'fixlib', '--version', version]);
}

/** The `compat` command line as a user runs it, against this file's server unless `env` says otherwise. */
function compat(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'compat.js'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, COMPAT_SERVER_URL: server.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const runIds: Record<string, string> = {};

beforeAll(async () => {
  fake = await startFakeGithub({ token: GITHUB_TOKEN, gitlabToken: GITLAB_TOKEN });
  Object.assign(ENV, { COMPAT_GITHUB_API_URL: fake.url, COMPAT_GITLAB_API_URL: `${fake.url}/api/v4` });
  for (const [k, v] of Object.entries(ENV)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  // The production plugins (webhooks + status reporter), configured from the environment above.
  stack = await startStack({ matrix, concurrency: 3, server: pluginOptions(loadConfig()) });
  server = stack.server;
});

afterAll(async () => {
  if (server && server !== stack?.server) await server.close().catch(() => undefined);
  await stack?.close();
  await fake?.close();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('GitHub tag events', () => {
  it('a signed create event starts a run that ends blocked; GitHub ends on failure, through a rate limit and a 500', async () => {
    fake.failNext(RATE_LIMITED_ONCE, SERVER_ERROR);
    const delivery = randomUUID();
    const res = await github(createTag('v1.1.0'), { event: 'create', delivery });
    expect(res).toEqual({ status: 202, body: { runId: expect.any(String) } });
    const id = (runIds['1.1.0'] = res.body.runId);
    expect(server.store.runMeta(id)).toMatchObject({ forge: 'github', delivery: `github:${delivery}`, event: 'create', repository: 'fixtures/fixlib', tag: 'v1.1.0' });

    const run = await waitForRun(id);
    expect(run).toMatchObject({ trigger: 'webhook', candidate: 'v1.1.0', baseline: 'v1.0.0', verdict: 'blocked', candidateSha: commitOf('v1.1.0') });

    const sha = commitOf('v1.1.0');
    await until(() => fake.statuses({ sha }).some((s) => s.state === 'failure'), 'the failure status');
    expectSettledOn(fake.statuses({ sha }).map((s) => s.state), 'failure');
    for (const status of fake.statuses({ sha })) {
      expect(status).toMatchObject({ repo: 'fixtures/fixlib', context: 'compat-matrix/fixlib', target_url: `${stack.config.publicUrl}/runs/${id}` });
      expect(status.description.length).toBeLessThanOrEqual(140);
    }
    // v1.1.0 is the one commit after v1.0.0: the bisect names it at once, before the status goes out. The
    // cause leads, after the count (issue 21): the failure's first error line and where it failed.
    expect(fake.statuses({ sha }).at(-1)?.description).toBe(`1 regression in 1 cell (1.1.0 vs 1.0.0); 1 new failure, 1 cause: test_b broke & stopped x 1 in app.sqlite; first bad: ${sha.slice(0, 7)} release v1.1.0`);
    // The forge's failures were lived through, not skipped.
    expect(fake.requests.slice(0, 2).map((r) => r.status)).toEqual([403, 500]);
    expect(fake.requests[0].headers).toMatchObject({ authorization: `Bearer ${GITHUB_TOKEN}`, 'x-github-api-version': '2022-11-28', accept: 'application/vnd.github+json' });
  });

  it('the push event for the same tag (another delivery) joins that run', async () => {
    const res = await github(pushTag('v1.1.0'), { event: 'push' });
    expect(res).toEqual({ status: 202, body: { runId: runIds['1.1.0'] } });
    expect(runsOf('v1.1.0')).toHaveLength(1);
  });

  it('while a run is still going the forge shows pending, and then the final state', async () => {
    // No worker: the run surely stays queued until the forge has shown pending, at any speed.
    await stack.worker?.close(5_000);
    const res = await github(createTag('v1.6.0'));
    expect(res.status).toBe(202);
    const sha = commitOf('v1.6.0');
    await until(() => fake.statuses({ sha }).some((s) => s.state === 'pending'), 'the pending status');
    expect(server.store.getRun(res.body.runId)?.status).not.toBe('done');
    expect(fake.statuses({ sha }).map((s) => s.state)).toEqual(['pending']);
    expect(fake.statuses({ sha })[0].description).toMatch(/^Testing 1 consumer in 1 cell: 1\.6\.0 vs 1\.5\.0$/);
    await stack.startWorker();
    const run = await waitForRun(res.body.runId);
    expect(run.verdict).toBe('blocked');
    await until(() => fake.statuses({ sha }).some((s) => s.state === 'failure'), 'the failure status');
    expect(fake.statuses({ sha }).map((s) => s.state)).toEqual(['pending', 'failure']);
  });

  it('a push of the fixed version ends in success, posted to the repository matrix.yaml names, not the payload\'s', async () => {
    // Signed with the library's secret and matched by its clone URL, but naming another repository: the
    // server's token must not post there (issue 16 item 7).
    const res = await github({ ...pushTag('v1.1.1'), repository: { ...repository(), full_name: 'victim/other', html_url: 'https://github.com/victim/other' } }, { event: 'push' });
    expect(res.status).toBe(202);
    expect(server.store.runMeta(res.body.runId)).toMatchObject({ repository: 'victim/other', statusTarget: { forge: 'github', repository: 'fixtures/fixlib', from: 'forge' } });
    const run = await waitForRun((runIds['1.1.1'] = res.body.runId));
    expect(run.verdict).toBe('pass');
    const sha = commitOf('v1.1.1');
    await until(() => fake.statuses({ sha }).some((s) => s.state === 'success'), 'the success status');
    expectSettledOn(fake.statuses({ sha }).map((s) => s.state), 'success');
    expect(fake.statuses({ sha }).at(-1)).toMatchObject({ target_url: `${stack.config.publicUrl}/runs/${run.id}`, description: '0 regressions in 1 cell (1.1.1 vs 1.1.0); 1 fixed' });
    expect(fake.statuses({ sha }).map((s) => s.repo)).toEqual(fake.statuses({ sha }).map(() => 'fixtures/fixlib'));
    expect(fake.statuses().filter((s) => s.repo.startsWith('victim'))).toEqual([]);
  });

  it('a published release whose artifact does not build ends incomplete, and the status is error', async () => {
    const res = await github({ action: 'published', release: { tag_name: 'v2.0.0', draft: false, prerelease: false }, repository: repository() }, { event: 'release' });
    expect(res.status).toBe(202);
    const run = await waitForRun((runIds['2.0.0'] = res.body.runId));
    expect(run.verdict).toBe('incomplete');
    const sha = commitOf('v2.0.0');
    await until(() => fake.statuses({ sha }).some((s) => s.state === 'error'), 'the error status');
    expect(fake.statuses({ sha }).at(-1)?.description).toMatch(/^0 regressions in 1 cell .*1 could not run/);
  });

  it('a forged or missing signature gets 401 and enqueues nothing', async () => {
    const runsBefore = server.store.listRuns().length;
    const jobsBefore = await workJobCount();
    const forged = await github(createTag('v1.3.0'), { secret: 'not-the-secret', delivery: 'forged-1' });
    expect(forged).toEqual({ status: 401, body: { error: 'X-Hub-Signature-256 does not match the payload' } });
    const missing = await github(createTag('v1.3.0'), { secret: null, delivery: 'forged-2' });
    expect(missing).toEqual({ status: 401, body: { error: 'missing header X-Hub-Signature-256 (set a secret on the webhook)' } });
    const garbage = await github(createTag('v1.3.0'), { signature: 'sha256=xyz', delivery: 'forged-3' });
    expect(garbage.status).toBe(401);
    // Signed with the organisation default while the library has a secret of its own: refused.
    expect((await github(createTag('v1.3.0'), { secret: DEFAULT_SECRET })).status).toBe(401);
    // The body was changed after signing.
    const raw = JSON.stringify(createTag('v1.3.0'));
    expect((await github(null, { raw: raw.replace('v1.3.0', 'v1.4.0'), signature: githubSignature(Buffer.from(raw), LIB_SECRET) })).status).toBe(401);

    await new Promise((r) => setTimeout(r, 500));
    expect(server.store.listRuns()).toHaveLength(runsBefore);
    expect(await workJobCount()).toBe(jobsBefore);
    for (const id of ['forged-1', 'forged-2', 'forged-3']) expect(server.store.deliveries.get(`github:${id}`)).toBeUndefined();
  });

  it('anything but a tag of a known library is 200 ignored, with the reason', async () => {
    const runsBefore = server.store.listRuns().length;
    const cases: Array<[unknown, Delivery, string]> = [
      [{ ref: 'refs/heads/main', after: commitOf('v1.0.0'), repository: repository() }, { event: 'push' }, 'push to refs/heads/main, not a tag'],
      [{ ref: 'feature-x', ref_type: 'branch', repository: repository() }, { event: 'create' }, 'create event for a branch, not a tag'],
      [{ ...pushTag('v1.0.0'), deleted: true, after: '0'.repeat(40), head_commit: null }, { event: 'push' }, 'tag v1.0.0 was deleted'],
      [createTag('nightly-2026-01-01'), { event: 'create' }, 'tag "nightly-2026-01-01" does not match the tag pattern "v{version}" of fixlib'],
      [{ zen: 'Design for failure.', hook_id: 1, repository: repository() }, { event: 'ping' }, 'ping: the hook works; tags will start runs'],
      [{ action: 'opened', repository: repository() }, { event: 'issues' }, 'event "issues" is not handled (create, push and release of tags are)'],
      [{ action: 'edited', release: { tag_name: 'v1.3.0' }, repository: repository() }, { event: 'release' }, 'release action "edited" is not handled (published and created are)'],
      [
        { ref: 'v9.0.0', ref_type: 'tag', repository: { full_name: 'someone/else', clone_url: 'https://github.com/someone/else.git' } },
        { event: 'create', secret: DEFAULT_SECRET },
        'repository someone/else is not a library in matrix.yaml',
      ],
    ];
    for (const [payload, options, reason] of cases) {
      expect(await github(payload, options)).toEqual({ status: 200, body: { ignored: reason } });
    }
    expect(server.store.listRuns()).toHaveLength(runsBefore);
  });

  it('refuses bodies that are too large, not JSON or missing fields, and a missing event header, with the reason', async () => {
    const big = JSON.stringify({ ...createTag('v1.3.0'), padding: 'x'.repeat(1024 * 1024) });
    expect(await github(null, { raw: big })).toEqual({
      status: 413,
      body: { error: 'request body is over the 1 MiB limit (1048576 bytes)', limitBytes: 1048576 },
    });
    expect(await github(null, { raw: '{"ref": "v1.3.0", ' })).toEqual({ status: 400, body: { error: 'request body is not valid JSON' } });
    expect(await github(null, { raw: '' })).toEqual({ status: 400, body: { error: 'request body is empty; a JSON payload is expected' } });
    expect(await github({ ref_type: 'tag', repository: repository() }, { event: 'create' })).toEqual({ status: 400, body: { error: 'body.ref is required' } });
    expect(await github({ ref: 'refs/tags/v1.3.0', repository: { ...repository(), full_name: undefined } }, { event: 'push' })).toEqual({
      status: 400,
      body: { error: 'body.repository.full_name is required' },
    });
    expect(await github(createTag('v1.3.0'), { event: null })).toEqual({ status: 400, body: { error: 'missing header X-GitHub-Event' } });
    expect((await http('GET', '/webhooks/github')).status).toBe(405);
  });

  it('accepts the form-encoded payload GitHub sends when the hook is set to it', async () => {
    const raw = `payload=${encodeURIComponent(JSON.stringify({ ref: 'refs/heads/dev', repository: repository() }))}`;
    expect(await github(null, { raw, event: 'push', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).toEqual({
      status: 200,
      body: { ignored: 'push to refs/heads/dev, not a tag' },
    });
  });
});

describe('deliveries', () => {
  const delivery = randomUUID();

  it('two identical deliveries at once start one run and both get its id', async () => {
    const [a, b] = await Promise.all([github(createTag('v1.3.0'), { delivery }), github(createTag('v1.3.0'), { delivery })]);
    expect(a.status).toBe(202);
    expect(b).toEqual(a);
    runIds['1.3.0'] = a.body.runId;
    expect(runsOf('v1.3.0')).toHaveLength(1);
  });

  it('the same delivery after a server restart gets the same run and starts no second one', async () => {
    await server.close();
    server = await startServer(stack.config, { port: 0, ...pluginOptions(stack.config) });
    stack.config.publicUrl = server.url;
    const again = await github(createTag('v1.3.0'), { delivery });
    expect(again).toEqual({ status: 202, body: { runId: runIds['1.3.0'] } });
    expect(runsOf('v1.3.0')).toHaveLength(1);
    expect(server.store.deliveries.get(`github:${delivery}`)).toMatchObject({ outcome: 'run', run_id: runIds['1.3.0'], source: 'github' });
    // The new server finishes the run and posts its status.
    const run = await waitForRun(runIds['1.3.0']);
    expect(run.verdict).toBe('pass');
    await until(() => fake.statuses({ sha: commitOf('v1.3.0') }).some((s) => s.state === 'success'), 'the success status from the new server');
  });
});

describe('GitLab tag push', () => {
  const project = () => ({
    id: 7,
    name: 'fixlab',
    web_url: 'https://gitlab.example.invalid/fixtures/fixlab',
    git_http_url: labRepo,
    git_ssh_url: 'git@gitlab.example.invalid:fixtures/fixlab.git',
    path_with_namespace: 'fixtures/fixlab',
  });
  const tagPush = (tag: string, deleted = false) => ({
    object_kind: 'tag_push',
    event_name: 'tag_push',
    before: deleted ? commitOf(tag) : '0'.repeat(40),
    after: deleted ? '0'.repeat(40) : commitOf(tag),
    ref: `refs/tags/${tag}`,
    checkout_sha: deleted ? null : commitOf(tag),
    user_name: 'Maintainer',
    project_id: 7,
    project: project(),
    commits: [],
    total_commits_count: 0,
  });
  const gitlab = (payload: unknown, headers: Record<string, string>) =>
    http('POST', '/webhooks/gitlab', JSON.stringify(payload), { 'Content-Type': 'application/json', 'X-Gitlab-Event': 'Tag Push Hook', ...headers });

  it('a Tag Push Hook with the right token starts a run by the same path; GitLab ends on success', async () => {
    const res = await gitlab(tagPush('v1.4.0'), { 'X-Gitlab-Token': LIB_SECRET, 'Idempotency-Key': randomUUID() });
    expect(res.status).toBe(202);
    expect(server.store.runMeta(res.body.runId)).toMatchObject({ forge: 'gitlab', projectId: 7, repository: 'fixtures/fixlab', commitSha: commitOf('v1.4.0') });
    const run = await waitForRun(res.body.runId);
    expect(run.verdict).toBe('pass');
    const sha = commitOf('v1.4.0');
    await until(() => fake.statuses({ sha }).some((s) => s.state === 'success'), 'the GitLab success status');
    const posted = fake.statuses({ sha });
    expectSettledOn(posted.map((s) => s.state), 'success');
    // To the project matrix.yaml names (by its path), not to the payload's id 7 or its path.
    for (const s of posted) expect([s.forge, s.repo, s.context]).toEqual(['gitlab', 'fixtures/sub/fixlab', 'compat-matrix/fixlab']);
  });

  it('a wrong or missing token gets 401; a deleted tag and other hooks are ignored', async () => {
    const runsBefore = server.store.listRuns().length;
    expect(await gitlab(tagPush('v1.5.0'), { 'X-Gitlab-Token': 'wrong' })).toEqual({ status: 401, body: { error: 'X-Gitlab-Token does not match the secret' } });
    expect(await gitlab(tagPush('v1.5.0'), {})).toEqual({ status: 401, body: { error: 'missing header X-Gitlab-Token (set a secret token on the webhook)' } });
    expect(await gitlab(tagPush('v1.5.0', true), { 'X-Gitlab-Token': LIB_SECRET })).toEqual({ status: 200, body: { ignored: 'tag v1.5.0 was deleted' } });
    expect(await gitlab({ object_kind: 'push', ref: 'refs/heads/main', project: project() }, { 'X-Gitlab-Token': LIB_SECRET, 'X-Gitlab-Event': 'Push Hook' })).toEqual({
      status: 200,
      body: { ignored: 'event "Push Hook" is not handled (Tag Push Hook is)' },
    });
    const noEvent = await http('POST', '/webhooks/gitlab', JSON.stringify(tagPush('v1.5.0')), { 'Content-Type': 'application/json', 'X-Gitlab-Token': LIB_SECRET });
    expect(noEvent).toEqual({ status: 400, body: { error: 'missing header X-Gitlab-Event' } });
    expect(server.store.listRuns()).toHaveLength(runsBefore);
  });
});

describe('compat gate', () => {
  it('exits 0 pass, 1 blocked, 3 incomplete, 4 no run', async () => {
    const results = await Promise.all(['1.1.1', 'v1.1.0', '2.0.0', '9.9.9'].map((v) => gate(v)));
    expect(results.map((r) => r.code)).toEqual([0, 1, 3, 4]);
    expect(results[0].stdout).toContain(`fixlib 1.1.1: pass (run ${runIds['1.1.1']})`);
    expect(results[1].stdout).toContain('regression app.sqlite: suite::test_b');
    expect(results[3].stderr).toContain('no run for fixlib 9.9.9');
  });

  it('exits 3 while the run is pending', async () => {
    // No worker: the run stays queued, deterministically.
    await stack.worker?.close(5_000);
    const res = await github(createTag('v1.5.0'));
    expect(res.status).toBe(202);
    const result = await gate('1.5.0');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`fixlib 1.5.0: pending (run ${res.body.runId})`);
    await stack.startWorker();
  });

  it('exits 3 with a clear message when no server answers', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'compat.js'), 'gate', '--library', 'fixlib', '--version', '1.1.1'], {
        env: { ...process.env, COMPAT_SERVER_URL: 'http://127.0.0.1:9' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('gate: cannot reach the compat server');
  });
});

describe('compat report and compat tokens', () => {
  it('report reads the run through the API, and with no server answering exits 3 rather than reading the store', async () => {
    const id = runIds['1.1.1'];
    const ok = await compat(['report', id, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ id, verdict: 'pass', status: 'done' });
    // The store with this run sits in the data dir; the CLI must not go around the server to it.
    const down = await compat(['report', id], { COMPAT_SERVER_URL: 'http://127.0.0.1:9', COMPAT_DATA_DIR: stack.config.dataDir });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('report: cannot reach the compat server');
    expect((await compat(['report', 'r-no-such-run'])).code).toBe(4);
  });

  it('tokens are managed in the data dir beside a running server, which honours them at once', async () => {
    const env = { COMPAT_DATA_DIR: stack.config.dataDir };
    const name = `ci-${Date.now()}`;
    const created = await compat(['tokens', 'create', name], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const post = () => http('POST', '/api/runs', '{}', { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` });
    expect((await post()).status).toBe(400);
    expect((await compat(['tokens', 'list'], env)).stdout).toMatch(new RegExp(`\\t${name}\\t.*\\tactive`));
    expect((await compat(['tokens', 'revoke', name], env)).code).toBe(0);
    expect((await post()).status).toBe(401);
  });
});

describe('POST /api/runs', () => {
  it('checks the token before the body: 401 without a valid one, whatever the body; 400 naming the field with one', async () => {
    const json = { 'Content-Type': 'application/json' };
    expect((await http('POST', '/api/runs', '{"library": ', json)).status).toBe(401);
    expect((await http('POST', '/api/runs', JSON.stringify({ library: 'fixlib', candidate: 'v1.1.1' }), json)).status).toBe(401);
    expect((await http('POST', '/api/runs', JSON.stringify({ library: 'fixlib', candidate: 'v1.1.1' }), { ...json, Authorization: 'Bearer cmx_not-a-token' })).status).toBe(401);
    const auth = { ...json, Authorization: `Bearer ${server.adminToken}` };
    expect(await http('POST', '/api/runs', '{"library": ', auth)).toEqual({ status: 400, body: { error: 'request body is not valid JSON' } });
    expect(await http('POST', '/api/runs', JSON.stringify({ candidate: 'v1.1.1' }), auth)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^body\.library: /) } });
    expect(await http('POST', '/api/runs', JSON.stringify({ library: 'nope', candidate: 'v1.1.1' }), auth)).toMatchObject({ status: 400, body: { error: expect.stringContaining('unknown library "nope"') } });
  });
});

// The example matrix (examples/README.md), end to end: quarry v1.1.0 breaks upsert on MariaDB.
const EXAMPLES = path.join(REPO_ROOT, 'examples', '.repos');
describe.runIf(existsSync(path.join(EXAMPLES, 'quarry')))('the example matrix', () => {
  let example: Stack;
  let exampleServer: ServerHandle;
  let blockedRun = '';

  afterAll(async () => {
    await example?.close();
  });

  it('a push of quarry v1.1.0 is blocked, and GitHub gets failure naming the regressions', async () => {
    example = await startStack({ matrix: () => path.join(REPO_ROOT, 'matrix.yaml'), concurrency: 4, server: pluginOptions(loadConfig()) });
    exampleServer = example.server;
    const quarry = path.join(EXAMPLES, 'quarry');
    const sha = execFileSync('git', ['rev-parse', 'v1.1.0^{commit}'], { cwd: quarry, encoding: 'utf8' }).trim();
    const raw = JSON.stringify({
      ref: 'refs/tags/v1.1.0',
      after: sha,
      deleted: false,
      head_commit: { id: sha },
      repository: { full_name: 'examples/quarry', clone_url: quarry },
    });
    const res = await fetch(`${exampleServer.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': randomUUID(), 'X-Hub-Signature-256': githubSignature(Buffer.from(raw), DEFAULT_SECRET) },
      body: raw,
    });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = await example.waitForRun(runId, 1_500_000);
    // Cell by cell, so a failure shows which cell did what and why.
    const cells = Object.fromEntries(run.cells.map((c) => [c.id, c.verdict === 'error' ? `error: ${c.candidate.reason ?? c.baseline.reason}` : c.verdict]));
    expect(cells).toEqual({
      'js-ledger.mysql': 'regression',
      'js-ledger.postgres': 'pass',
      'py-inventory.mysql': 'regression',
      'py-inventory.postgres': 'pass',
      'py-inventory.sqlite': 'pass',
      'py-legacy.mysql': 'pass',
      'py-legacy.postgres': 'pass',
      'py-legacy.sqlite': 'pass',
    });
    expect(run.verdict).toBe('blocked');
    await until(() => fake.statuses({ sha, context: 'compat-matrix/quarry' }).some((s) => s.state === 'failure'), 'the quarry failure status');
    expect(fake.statuses({ sha, context: 'compat-matrix/quarry' }).at(-1)?.description).toMatch(/^2 regressions in 8 cells \(1\.1\.0 vs 1\.0\.0\)/);
    blockedRun = runId;
  }, 1_800_000);

  // Issue 16 item 8: a run of the version against another baseline (here the candidate itself, which
  // makes the regressed cell `failing`) must not settle the gate's cell.
  it('a run of v1.1.0 against itself as baseline leaves the gate blocked, named by the run that decided it', async () => {
    expect(blockedRun).toBeTruthy();
    const env = { COMPAT_SERVER_URL: exampleServer.url, COMPAT_TOKEN: exampleServer.adminToken, COMPAT_MATRIX: path.join(REPO_ROOT, 'matrix.yaml') };
    const ran = await compat(['run', '--library', 'quarry', '--candidate', 'v1.1.0', '--baseline', 'v1.1.0', '--consumer', 'js-ledger', '--backend', 'mysql', '--wait', '--json'], env);
    const side = JSON.parse(ran.stdout) as RunJson;
    // The attack did what the issue says: that cell is `failing` in a run of the same version.
    expect(side.cells.map((c) => [c.id, c.verdict])).toEqual([['js-ledger.mysql', 'failing']]);
    expect(side.ownBaseline).toBe(false);
    const gate = await compat(['gate', '--library', 'quarry', '--version', '1.1.0', '--json'], env);
    expect(gate.code).toBe(1);
    const answer = JSON.parse(gate.stdout);
    expect(answer).toMatchObject({ state: 'blocked', runId: blockedRun });
    expect(answer.cells).toContainEqual({ cell: 'js-ledger.mysql', verdict: 'regression', runId: blockedRun });
    expect(answer.regressions.map((r: { cell: string; runId: string }) => [r.cell, r.runId])).toEqual([
      ['js-ledger.mysql', blockedRun],
      ['py-inventory.mysql', blockedRun],
    ]);
  }, 1_800_000);
});
