/**
 * The status reporter on an in-memory store and a fake forge: what it posts and when it retries, gives
 * up or stays quiet. test/status.test.ts runs it against an HTTP stand-in for GitHub and GitLab.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../common/config.js';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import type { CellVerdict, RunVerdict } from '../../common/types.js';
import { FakeForge, memoryStore } from '../testing/fakes.js';
import type { RunMeta } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { StatusReporter } from './reporter.js';

const TOKEN = 'ghp_FAKEtoken0123456789abcdefSECRET';
const SHA = '1234567890abcdef1234567890abcdef12345678';
const config = loadConfig({ githubApiUrl: 'https://api.github.test', githubToken: TOKEN, gitlabToken: null, publicUrl: 'https://compat.example.com/' });
const WEBHOOK_META: RunMeta = { forge: 'github', repository: 'acme/fixlib', tag: 'v1.1.0', statusTarget: { forge: 'github', repository: 'acme/fixlib', from: 'forge' } };

const reporters: StatusReporter[] = [];
afterEach(() => {
  for (const r of reporters.splice(0)) r.stop();
});

function consumer(name: string): ResolvedConsumer {
  return { name, repo: `https://git.example.org/${name}.git`, ref: 'v1.0.0', image: 'compat-runner:bookworm', installCandidate: 'true', test: 'true', backends: ['sqlite'], env: {}, secretEnv: [], timeoutSeconds: 60, resources: { memoryMb: 256, cpus: 1, pids: 64 } };
}

let seq = 0;
function storeRun(store: Store, options: { trigger?: 'webhook' | 'api'; meta?: RunMeta; cells?: number } = {}) {
  const id = `rstatus${++seq}`;
  const cells = Array.from({ length: options.cells ?? 2 }, (_, i) => ({ id: `app${i}.sqlite`, consumer: `app${i}`, backend: 'sqlite' as const, config: consumer(`app${i}`) }));
  store.insertRun(
    { id, library: 'fixlib', candidate: 'v1.1.0', baseline: 'v1.0.0', candidateVersion: '1.1.0', baselineVersion: '1.0.0', candidateSha: SHA, baselineSha: 'f'.repeat(40), trigger: options.trigger ?? 'webhook', reruns: 0, meta: options.meta ?? WEBHOOK_META },
    cells,
  );
  return {
    id,
    get: () => store.getRun(id)!,
    finish(verdict: RunVerdict, verdicts: CellVerdict[]) {
      verdicts.forEach((v, i) => store.setCellDecision(id, `app${i}.sqlite`, v, 1, v === 'regression' ? ['suite::test_b'] : [], []));
      store.setRunState(id, 'done', verdict);
      return store.getRun(id)!;
    },
  };
}

function setup(options: { maxAttempts?: number } = {}) {
  const store = memoryStore();
  const forge = new FakeForge();
  const reporter = new StatusReporter({ forge, baseDelayMs: 1, maxDelayMs: 5, maxAttempts: options.maxAttempts, random: () => 0 });
  reporters.push(reporter);
  return { store, forge, reporter, start: () => reporter.start({ store, config }) };
}

async function until(fn: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers), body: '{}' });

describe('the status reporter', () => {
  it('posts pending when a webhook run is created and failure when it ends blocked, on the library\'s target', async () => {
    const { store, forge, reporter, start } = setup();
    start();
    const run = storeRun(store);
    reporter.onRunCreated(run.get());
    await until(() => forge.requests.length === 1);
    reporter.onRunFinished(run.finish('blocked', ['regression', 'pass']));
    await until(() => forge.requests.length === 2);
    expect(forge.requests.map((r) => r.body.state)).toEqual(['pending', 'failure']);
    const [pending, failure] = forge.requests;
    expect(pending.url).toBe(`https://api.github.test/repos/acme/fixlib/statuses/${SHA}`);
    expect(pending.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(pending.body).toMatchObject({ context: 'compat-matrix/fixlib', target_url: `https://compat.example.com/runs/${run.id}`, description: 'Testing 2 consumers in 2 cells: 1.1.0 vs 1.0.0' });
    expect(failure.body.description).toBe('1 regression in 2 cells (1.1.0 vs 1.0.0): app0.sqlite');
    await until(() => store.statusReports.get(run.id)?.sent === 'failure');
  });

  it('retries a 5xx and a network failure, then posts', async () => {
    const { store, forge, reporter, start } = setup();
    forge.answers = [answer(502), new TypeError('fetch failed'), answer(201)];
    start();
    const run = storeRun(store);
    reporter.onRunFinished(run.finish('pass', ['pass', 'pass']));
    await until(() => store.statusReports.get(run.id)?.sent === 'success');
    expect(forge.requests.map((r) => r.body.state)).toEqual(['success', 'success', 'success']);
  });

  it('gives up after its attempts, leaving the run as it was', async () => {
    const { store, forge, reporter, start } = setup({ maxAttempts: 3 });
    forge.answers = Array.from({ length: 10 }, () => answer(500));
    start();
    const run = storeRun(store);
    const finished = run.finish('pass', ['pass', 'pass']);
    reporter.onRunFinished(finished);
    await until(() => store.statusReports.get(run.id)?.gave_up === 1);
    expect(forge.requests.length).toBe(3);
    expect(run.get()).toEqual(finished);
  });

  it('does not retry what asking again cannot fix (bad credentials)', async () => {
    const { store, forge, reporter, start } = setup();
    forge.answers = [answer(401)];
    start();
    const run = storeRun(store);
    reporter.onRunFinished(run.finish('pass', ['pass', 'pass']));
    await until(() => store.statusReports.get(run.id)?.gave_up === 1);
    expect(forge.requests.length).toBe(1);
  });

  it('posts nothing for a run not started by a webhook, or one with no status target', async () => {
    const { store, forge, reporter, start } = setup();
    start();
    const api = storeRun(store, { trigger: 'api', meta: {} });
    const untargeted = storeRun(store, { meta: { forge: 'github', repository: 'acme/fixlib' } });
    reporter.onRunCreated(api.get());
    reporter.onRunCreated(untargeted.get());
    await reporter.idle();
    expect(forge.requests).toEqual([]);
    expect(store.statusReports.get(api.id)).toBeUndefined();
    expect(store.statusReports.get(untargeted.id)).toBeUndefined();
  });

  it('at start, reports a finished run whose report was never recorded', async () => {
    const { store, forge, start } = setup();
    const run = storeRun(store);
    run.finish('blocked', ['regression', 'pass']);
    start();
    await until(() => store.statusReports.get(run.id)?.sent === 'failure');
    expect(forge.requests.map((r) => r.body.state)).toEqual(['failure']);
  });

  it('once stopped, sends nothing more; the next start reports what it missed', async () => {
    const { store, forge, reporter, start } = setup();
    start();
    reporter.stop();
    const run = storeRun(store);
    reporter.onRunFinished(run.finish('pass', ['pass', 'pass']));
    await new Promise((r) => setTimeout(r, 20));
    expect(forge.requests).toEqual([]);
    const next = new StatusReporter({ forge, baseDelayMs: 1 });
    reporters.push(next);
    next.start({ store, config });
    await until(() => store.statusReports.get(run.id)?.sent === 'success');
  });
});
