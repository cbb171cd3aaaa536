/**
 * Quarantine end to end on the orchestrator, the store and the route table (in-memory store, fake
 * ports): the quarantined test still runs and is shown with its reason, never blocks, and blocks again
 * in a run decided after its expiry; matrix.yaml's entries are the library's as of each plan.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseMatrix } from '../../common/matrix/load.js';
import { gateOf } from '../../common/verdict.js';
import { Tokens } from '../auth/tokens.js';
import { serveHarness, type HarnessApp } from '../testing/app-server.js';
import { built, done, harness, outcome } from '../testing/harness.js';

const h = harness({ reruns: 2 });
const tokens = new Tokens(h.store);
const { token } = tokens.create('maintainer', 'write');
let served: HarnessApp;
let base = '';
beforeAll(async () => {
  served = await serveHarness(h, tokens, 'quarantine');
  base = served.base;
});
afterAll(async () => {
  vi.useRealTimers();
  await served.close();
});

const call = async (method: string, url: string, body?: unknown, auth = token) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth) headers.authorization = `Bearer ${auth}`;
  const res = await fetch(base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** A run whose candidate fails `flappy` on every attempt, baseline passing it: a regression without quarantine. */
async function runFailingFlappy(matrix = h.matrix) {
  const run = await h.orchestrator.createRun(matrix, { library: 'lib', candidate: 'v1.1.0' }, 'cli');
  for (const build of h.work.take('build')) await h.send(built(build));
  for (let round = 0; round < 3; round++) {
    for (const job of h.work.take('cell')) await h.send(done(job, job.side === 'candidate' ? outcome(['a'], ['app::flappy']) : outcome(['a', 'app::flappy'])));
  }
  h.work.take('bisect-build');
  return h.run(run.id);
}

describe('quarantine', () => {
  it('the API adds one with a write token only, and refuses an unknown consumer or a date gone by', async () => {
    const add = { library: 'lib', consumer: 'app', test: 'app::flappy', reason: 'races the clock (#42)', until: '2999-12-31' };
    expect((await call('POST', '/api/quarantine', add, '')).status).toBe(401);
    expect(await call('POST', '/api/quarantine', { ...add, consumer: 'nope' })).toMatchObject({ status: 400, body: { error: 'no consumer "nope" of library "lib"' } });
    expect((await call('POST', '/api/quarantine', { ...add, until: '2001-01-01' })).status).toBe(400);
    expect((await call('POST', '/api/quarantine', { ...add, until: 'soon' })).status).toBe(400);
    expect(await call('POST', '/api/quarantine', add)).toMatchObject({ status: 201, body: { test: 'app::flappy', until: '3000-01-01T00:00:00.000Z', by: 'maintainer', source: 'api' } });
    const list = await fetch(`${base}/api/quarantine?library=lib`).then((r) => r.json());
    expect(list).toMatchObject([{ consumer: 'app', test: 'app::flappy', reason: 'races the clock (#42)', active: true }]);
  });

  it('a quarantined test still runs, is shown with its reason, and does not block', async () => {
    const run = await runFailingFlappy();
    expect(run.verdict).toBe('pass');
    expect(run.cells[0]).toMatchObject({ verdict: 'pass', newFailures: [], candidate: { tests: { failed: 1 } }, quarantined: [{ test: 'app::flappy', reason: 'races the clock (#42)', by: 'maintainer' }] });
    expect(gateOf([run]).state).toBe('pass');
  });

  it('blocks again in a run decided after its expiry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('3000-01-01T00:00:01Z'));
    try {
      const run = await runFailingFlappy();
      expect(run.verdict).toBe('blocked');
      expect(run.cells[0]).toMatchObject({ verdict: 'regression', newFailures: ['app::flappy'] });
      expect(run.cells[0].quarantined).toBeUndefined();
      expect(await fetch(`${base}/api/quarantine`).then((r) => r.json())).toMatchObject([{ test: 'app::flappy', active: false }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('removes the API entry; a matrix.yaml entry applies from the next plan and goes when edited out', async () => {
    const key = { library: 'lib', consumer: 'app', test: 'app::flappy' };
    expect((await call('DELETE', '/api/quarantine', key)).status).toBe(200);
    expect((await call('DELETE', '/api/quarantine', key)).status).toBe(404);
    expect((await runFailingFlappy()).verdict).toBe('blocked');

    const withEntry = JSON.parse(JSON.stringify(h.matrix));
    const text = JSON.stringify({
      version: 1,
      defaults: { reruns: 2 },
      libraries: [{ name: 'lib', repo: withEntry.libraries[0].repo, tags: 'v{version}', build: { image: 'compat-runner:bookworm', command: 'make' }, quarantine: [{ consumer: 'app', test: 'app::flappy', reason: 'see #7', until: '2999-01-01' }], consumers: [{ name: 'app', repo: 'https://git.example.org/app.git', ref: 'main', image: 'compat-runner:bookworm', installCandidate: 'true', test: 'true', backends: ['sqlite'] }] }],
    });
    const matrix = parseMatrix(text, 'matrix.yaml');
    const quarantined = await runFailingFlappy(matrix);
    expect(quarantined.cells[0]).toMatchObject({ verdict: 'pass', quarantined: [{ reason: 'see #7', by: 'matrix.yaml' }] });
    expect((await runFailingFlappy(h.matrix)).verdict).toBe('blocked');
  });

  it("matrix.yaml's schema refuses an entry without a reason or with a date that does not parse", () => {
    const text = (q: unknown) =>
      JSON.stringify({ version: 1, libraries: [{ name: 'lib', repo: 'https://git.example.org/lib.git', build: { image: 'i', command: 'make' }, quarantine: [q], consumers: [{ name: 'app', repo: 'https://git.example.org/app.git', ref: 'main', image: 'i', installCandidate: 'true', test: 'true', backends: ['sqlite'] }] }] });
    expect(() => parseMatrix(text({ consumer: 'app', test: 't', reason: 'r', until: 'tomorrow' }), 'matrix.yaml')).toThrow(/quarantine\.0\.until: must be a date/);
    expect(() => parseMatrix(text({ consumer: 'app', test: 't', until: '2030-01-01' }), 'matrix.yaml')).toThrow(/quarantine\.0\.reason/);
  });
});
