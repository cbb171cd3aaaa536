/**
 * The commit-status reporter against a local stand-in for GitHub's API, on a real store: the states it
 * posts, how it lives through rate limits, 5xx and hung connections, that it gives up within bounds
 * without touching the run, that a restart still posts what was decided, and that the token never
 * reaches a log line.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../common/config.js';
import type { ResolvedConsumer } from '../common/matrix/load.js';
import type { CellVerdict, RunVerdict } from '../common/types.js';
import { statusPlugin, StatusReporter, type StatusReporterOptions } from '../server/status/index.js';
import { startServer } from '../server/server.js';
import { Store } from '../server/store/store.js';
import { deletePrefixedKeys } from './helpers/redis-keys.js';
import { RATE_LIMITED_ONCE, SERVER_ERROR, startFakeGithub, type FakeGithub } from './helpers/fake-github.js';

const TOKEN = 'ghp_FAKEtoken0123456789abcdefSECRET';
const GITLAB_TOKEN = 'glpat-FAKEgitlabSECRET';
const SHA = '1234567890abcdef1234567890abcdef12345678';

let dir: string;
let store: Store;
let fake: FakeGithub;
let config: Config;
let logs: string[];
const reporters: StatusReporter[] = [];

function capturingLogger() {
  return pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
}

function reporter(options: StatusReporterOptions = {}, cfg: Config = config, s: Store = store): StatusReporter {
  const r = new StatusReporter({ baseDelayMs: 100, log: capturingLogger(), ...options });
  reporters.push(r);
  r.start({ store: s, config: cfg });
  return r;
}

let seq = 0;
function consumer(name: string): ResolvedConsumer {
  return {
    name,
    repo: `https://git.example.org/${name}.git`,
    ref: 'v1.0.0',
    image: 'compat-runner:bookworm',
    installCandidate: 'true',
    test: 'true',
    backends: ['sqlite'],
    env: {},
    secretEnv: [],
    timeoutSeconds: 60,
    resources: { memoryMb: 256, cpus: 1, pids: 64 },
  };
}

/** A run as the orchestrator stores it, with cells already decided when `verdicts` say so. */
function storeRun(options: { trigger?: 'webhook' | 'api'; meta?: Record<string, unknown>; cells?: CellVerdict[] } = {}) {
  const id = `rstatus${++seq}`;
  const cells = (options.cells ?? ['pending']).map((verdict, i) => ({ id: `app${i}.sqlite`, consumer: `app${i}`, backend: 'sqlite' as const, config: consumer(`app${i}`), verdict }));
  store.insertRun(
    {
      id,
      library: 'fixlib',
      candidate: 'v1.1.0',
      baseline: 'v1.0.0',
      candidateVersion: '1.1.0',
      baselineVersion: '1.0.0',
      candidateSha: SHA,
      baselineSha: 'f'.repeat(40),
      trigger: options.trigger ?? 'webhook',
      reruns: 2,
      meta: options.meta ?? { forge: 'github', repository: 'acme/fixlib', tag: 'v1.1.0', delivery: 'github:x', event: 'create', commitSha: null, statusTarget: { forge: 'github', repository: 'acme/fixlib', from: 'forge' } },
    },
    cells,
  );
  return {
    id,
    get: () => store.getRun(id)!,
    finish(verdict: RunVerdict, cellVerdicts: CellVerdict[]) {
      cellVerdicts.forEach((v, i) => store.setCellDecision(id, `app${i}.sqlite`, v, 1, v === 'regression' ? ['suite::test_b'] : [], []));
      store.setRunState(id, 'done', verdict);
      return store.getRun(id)!;
    },
  };
}

async function until<T>(fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'compat-status-'));
  store = new Store(Store.fileIn(dir));
  fake = await startFakeGithub({ token: TOKEN, gitlabToken: GITLAB_TOKEN });
  logs = [];
  config = loadConfig({
    dataDir: dir,
    githubApiUrl: fake.url,
    githubToken: TOKEN,
    gitlabApiUrl: `${fake.url}/api/v4`,
    gitlabToken: GITLAB_TOKEN,
    publicUrl: 'https://compat.example.com/',
  });
});

afterEach(async () => {
  for (const r of reporters.splice(0)) r.stop();
  await fake.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('what is posted', () => {
  it('pending when a webhook run is created, failure when it ends blocked: headers, sha, context, target_url, description', async () => {
    const r = reporter();
    const run = storeRun({ cells: ['pending', 'pending'] });
    r.onRunCreated(run.get());
    await until(() => fake.statuses().length === 1);
    r.onRunFinished(run.finish('blocked', ['regression', 'pass']));
    await until(() => fake.statuses().length === 2);

    expect(fake.statuses().map((s) => s.state)).toEqual(['pending', 'failure']);
    const [pending, failure] = fake.statuses();
    expect(pending).toMatchObject({ repo: 'acme/fixlib', sha: SHA, context: 'compat-matrix/fixlib', target_url: `https://compat.example.com/runs/${run.id}` });
    expect(pending.description).toBe('Testing 2 consumers in 2 cells: 1.1.0 vs 1.0.0');
    expect(failure).toMatchObject({ sha: SHA, context: 'compat-matrix/fixlib', target_url: `https://compat.example.com/runs/${run.id}`, description: '1 regression in 2 cells (1.1.0 vs 1.0.0): app0.sqlite' });
    for (const req of fake.requests) {
      expect(req.path).toBe(`/repos/acme/fixlib/statuses/${SHA}`);
      expect(req.headers).toMatchObject({
        authorization: `Bearer ${TOKEN}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': expect.stringContaining('compat-matrix'),
      });
    }
    await until(() => store.statusReports.get(run.id)?.sent === 'failure');
    expect(store.statusReports.get(run.id)).toMatchObject({ wanted: 'failure', sent: 'failure', gave_up: 0 });
  });

  it('sends the failure again, naming the first bad commit, when a bisect ends after it went out', async () => {
    const r = reporter();
    const run = storeRun({ cells: ['pending'] });
    r.onRunFinished(run.finish('blocked', ['regression']));
    await until(() => store.statusReports.get(run.id)?.sent === 'failure');
    // The orchestrator's bisect, as the store records it, ends with the culprit.
    const culprit = { sha: 'c0ffee1234'.padEnd(40, '0'), subject: 'Use INSERT ... ON DUPLICATE KEY for upsert', author: 'Q', date: '2024-04-12T10:00:00Z' };
    store.bisects.create({ runId: run.id, consumer: 'app0', cellId: 'app0.sqlite', commits: [culprit], newFailures: ['suite::test_b'], cap: 3 });
    store.bisects.finish(run.id, 'app0', { status: 'found', firstBad: culprit });
    r.onBisectFinished(run.get());
    await until(() => fake.statuses().length === 2);
    expect(fake.statuses().map((s) => [s.state, s.description])).toEqual([
      ['failure', '1 regression in 1 cell (1.1.0 vs 1.0.0): app0.sqlite'],
      ['failure', '1 regression in 1 cell (1.1.0 vs 1.0.0): app0.sqlite; first bad: c0ffee1 Use INSERT ... ON DUPLICATE KEY for upsert'],
    ]);
    await until(() => store.statusReports.get(run.id)?.sent === 'failure');
  });

  it('success for pass and error for incomplete, each naming the regression count', async () => {
    const r = reporter();
    const pass = storeRun();
    const incomplete = storeRun();
    r.onRunFinished(pass.finish('pass', ['pass']));
    r.onRunFinished(incomplete.finish('incomplete', ['error']));
    await until(() => fake.statuses().length === 2);
    expect(fake.statuses().map((s) => [s.state, s.description])).toEqual([
      ['success', '0 regressions in 1 cell (1.1.0 vs 1.0.0)'],
      ['error', '0 regressions in 1 cell (1.1.0 vs 1.0.0); 1 could not run'],
    ]);
  });

  it('nothing for runs not started by a webhook, or for a forge without a token', async () => {
    const r = reporter({}, { ...config, githubToken: null });
    const api = storeRun({ trigger: 'api', meta: { requestedBy: 'local-cli' } });
    const github = storeRun();
    r.onRunCreated(api.get());
    r.onRunCreated(github.get());
    r.onRunFinished(github.finish('pass', ['pass']));
    await r.idle();
    await new Promise((res) => setTimeout(res, 200));
    expect(fake.requests).toEqual([]);
    expect(store.statusReports.get(github.id)).toBeUndefined();
  });

  it('GitLab: the project statuses endpoint with its own state names', async () => {
    const r = reporter();
    const run = storeRun({ meta: { forge: 'gitlab', repository: 'acme/fixlib', projectId: 42, tag: 'v1.1.0', delivery: null, event: 'Tag Push Hook', commitSha: SHA, statusTarget: { forge: 'gitlab', repository: 'acme/sub/fixlib', from: 'forge' } } });
    r.onRunCreated(run.get());
    await until(() => fake.statuses().length === 1);
    r.onRunFinished(run.finish('blocked', ['regression']));
    await until(() => fake.statuses().length === 2);
    expect(fake.statuses().map((s) => [s.forge, s.repo, s.state, s.context])).toEqual([
      ['gitlab', 'acme/sub/fixlib', 'pending', 'compat-matrix/fixlib'],
      ['gitlab', 'acme/sub/fixlib', 'failed', 'compat-matrix/fixlib'],
    ]);
    expect(fake.requests[0].headers['private-token']).toBe(GITLAB_TOKEN);
  });

  it('a final state decided while pending is still being retried replaces it: the commit never ends on pending', async () => {
    const r = reporter({ baseDelayMs: 300 });
    fake.failNext(SERVER_ERROR);
    const run = storeRun();
    r.onRunCreated(run.get());
    await until(() => fake.requests.length === 1);
    r.onRunFinished(run.finish('pass', ['pass']));
    await until(() => fake.statuses().length >= 1);
    await r.idle();
    expect(fake.statuses().at(-1)?.state).toBe('success');
    expect(fake.statuses().map((s) => s.state)).toEqual(['success']);
  });
});

describe('failures of the forge', () => {
  it('honours Retry-After on a 403 rate limit and backs off on a 500, then posts', async () => {
    const r = reporter({ baseDelayMs: 200 });
    fake.failNext(RATE_LIMITED_ONCE, SERVER_ERROR);
    const run = storeRun();
    r.onRunCreated(run.get());
    await until(() => fake.statuses().length === 1);
    expect(fake.requests.map((q) => q.status)).toEqual([403, 500, 201]);
    const [first, second, third] = fake.requests.map((q) => q.at);
    expect(second - first).toBeGreaterThanOrEqual(1000);
    expect(third - second).toBeGreaterThanOrEqual(100);
    expect(logs.join('')).toContain('Commit status not posted; will retry');
  });

  it('waits for x-ratelimit-reset when x-ratelimit-remaining is 0', async () => {
    const r = reporter();
    const reset = Math.floor(Date.now() / 1000) + 2;
    fake.failNext({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, body: { message: 'API rate limit exceeded for installation ID 1.' } });
    r.onRunCreated(storeRun().get());
    await until(() => fake.statuses().length === 1);
    expect(fake.requests[1].at).toBeGreaterThanOrEqual(reset * 1000 - 50);
  });

  it('gives up after a bounded number of attempts, logs it, and leaves the run as it was', async () => {
    const r = reporter({ maxAttempts: 3, baseDelayMs: 50 });
    fake.failNext(...Array.from({ length: 10 }, () => SERVER_ERROR));
    const run = storeRun();
    const done = run.finish('blocked', ['regression']);
    r.onRunFinished(done);
    await until(() => store.statusReports.get(run.id)?.gave_up === 1);
    expect(fake.requests).toHaveLength(3);
    expect(store.statusReports.get(run.id)).toMatchObject({ attempts: 3, sent: null, last_error: 'HTTP 500: Server Error' });
    expect(logs.join('')).toContain('Gave up posting a commit status');
    expect(store.getRun(run.id)).toEqual(done);
  });

  it('does not retry what asking again cannot fix (bad credentials)', async () => {
    const r = reporter({}, { ...config, githubToken: 'ghp_wrong_but_also_SECRET' });
    r.onRunCreated(storeRun().get());
    await until(() => logs.join('').includes('Gave up'));
    expect(fake.requests.map((q) => q.status)).toEqual([401]);
  });

  it('hooks return at once even when the forge hangs', async () => {
    const r = reporter({ requestTimeoutMs: 60_000 });
    fake.hang(true);
    const run = storeRun();
    // Synchronous hooks: the orchestrator's `await` on them returns without waiting on the network.
    expect(r.onRunCreated(run.get())).toBeUndefined();
    await until(() => fake.requests.length === 1);
    expect(r.onRunFinished(run.finish('pass', ['pass']))).toBeUndefined();
    expect(fake.requests.map((q) => q.status)).toEqual([-1]);
  });

  it('retries a request that times out', async () => {
    const r = reporter({ requestTimeoutMs: 300, baseDelayMs: 50 });
    fake.hang(true);
    r.onRunCreated(storeRun().get());
    await until(() => logs.join('').includes('TimeoutError'));
    expect(logs.join('')).toContain('Commit status not posted; will retry');
    fake.hang(false);
    await until(() => fake.statuses().length === 1);
  });

  it('never writes the token to a log line', async () => {
    // Every path that logs: posted, retried (5xx, network), gave up (401 with a token in the config).
    fake.failNext(SERVER_ERROR);
    const r = reporter({ maxAttempts: 2, baseDelayMs: 20 });
    r.onRunCreated(storeRun().get());
    await until(() => fake.statuses().length === 1);
    const wrong = reporter({}, { ...config, githubToken: 'ghp_wrong_but_also_SECRET' });
    wrong.onRunCreated(storeRun().get());
    await until(() => logs.join('').includes('Gave up'));
    const gone = reporter({ baseDelayMs: 20, maxAttempts: 2 }, { ...config, githubApiUrl: 'http://127.0.0.1:9' });
    gone.onRunCreated(storeRun().get());
    await until(() => logs.filter((l) => l.includes('Gave up')).length >= 2);
    const text = logs.join('');
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain(TOKEN);
    expect(text).toContain('Commit status posted');
  });
});

describe('durability', () => {
  it('a status decided before a restart is posted by the next server', async () => {
    const first = reporter({ requestTimeoutMs: 60_000 });
    fake.hang(true);
    const run = storeRun();
    first.onRunFinished(run.finish('blocked', ['regression']));
    await until(() => fake.requests.length === 1);
    // The server goes away mid-request: the store still says failure is wanted and not sent.
    first.stop();
    store.close();
    fake.hang(false);
    store = new Store(Store.fileIn(dir));
    expect(store.statusReports.get(run.id)).toMatchObject({ wanted: 'failure', sent: null });
    reporter();
    await until(() => fake.statuses().length === 1);
    expect(fake.statuses()[0]).toMatchObject({ state: 'failure', sha: SHA });
  });

  it('a run that finished without its report being recorded is reported at start', async () => {
    const run = storeRun();
    run.finish('pass', ['pass']);
    const stale = storeRun();
    store.statusReports.want(stale.id, 'github', 'pending');
    stale.finish('blocked', ['regression']);
    reporter();
    await until(() => fake.statuses().length === 2);
    expect(fake.statuses().map((s) => s.state).sort()).toEqual(['failure', 'success']);
  });

  it('a replayed "created" hook never takes a finished status back to pending', async () => {
    const r = reporter();
    const run = storeRun();
    const done = run.finish('pass', ['pass']);
    r.onRunFinished(done);
    await until(() => store.statusReports.get(run.id)?.sent === 'success');
    r.onRunCreated(done);
    await r.idle();
    expect(store.statusReports.get(run.id)).toMatchObject({ wanted: 'success', sent: 'success' });
    expect(fake.statuses()).toHaveLength(1);
  });
});

describe('plugin', () => {
  it('is off without a token and says so once', () => {
    logs = [];
    const parts = statusPlugin({ ...config, githubToken: null, gitlabToken: null }, { log: capturingLogger() });
    expect(parts.hooks).toBeUndefined();
    expect(parts.reporter).toBeNull();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('Commit status reporter off');
  });

  it('with a token registers its hooks and starts as a server service', async () => {
    const parts = statusPlugin(config, { log: capturingLogger(), baseDelayMs: 50 });
    reporters.push(parts.reporter!);
    expect(parts.hooks).toEqual([parts.reporter]);
    expect(parts.services).toEqual([parts.reporter]);
    await parts.services![0].start({ store, config } as never);
    parts.reporter!.onRunCreated(storeRun().get());
    await until(() => fake.statuses().length === 1);
  });

  it('starts and stops with the server: reports what was missed at start, and nothing once the server has closed', async () => {
    const cfg = { ...config, prefix: `t${randomUUID().slice(0, 8)}`, port: 0 };
    storeRun().finish('pass', ['pass']);
    const parts = statusPlugin(cfg, { log: capturingLogger(), baseDelayMs: 50 });
    const server = await startServer(cfg, { port: 0, ...parts });
    try {
      await until(() => fake.statuses().length === 1);
      expect(fake.statuses()[0].state).toBe('success');
    } finally {
      await server.close();
      const redis = new Redis(cfg.redisUrl);
      await deletePrefixedKeys(redis, cfg.prefix);
      redis.disconnect();
    }
    // The server stopped its reporter before closing its store: a late hook is not recorded, and nothing fails.
    const late = storeRun();
    parts.reporter!.onRunFinished(late.finish('blocked', ['regression']));
    await parts.reporter!.idle();
    expect(store.statusReports.get(late.id)).toBeUndefined();
    expect(fake.statuses()).toHaveLength(1);
    expect(logs.join('')).not.toContain('Failed to record');
  });
});
