/**
 * A private deployment (COMPAT_READ_TOKEN_REQUIRED=1) on the real stack: every route but /healthz and
 * the webhooks answers 401 without a token and 200 with a read token; a read token cannot start a run;
 * the CLI's report and gate send COMPAT_TOKEN; and the dashboard, in a real Chromium, asks for the
 * token and then shows the runs, a run kept live by its event stream, a cell's logs and its script.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../common/config.js';
import type { RunJson } from '../common/types.js';
import { pluginOptions } from '../server/main.js';
import { githubSignature } from '../server/forges/signature.js';
import { buildDashboard, launchBrowser, type Browser } from './helpers/browser.js';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { childEnv, runCompat } from './helpers/processes.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const WEBHOOK_SECRET = 'private-deployment-webhook-secret';

let stack: Stack;
let run: RunJson;
let readToken: string;
let browser: Browser;
let page: Page;
let emptyDataDir: string;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'privlib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'ok'],
  ]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 0 }
libraries:
  - name: privlib
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
        timeoutSeconds: 60
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`,
  );
}

async function get(route: string, token?: string | null, headers: Record<string, string> = {}): Promise<{ status: number; text: string; type: string }> {
  const res = await fetch(`${stack.server.url}${route}`, { headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers } });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

beforeAll(async () => {
  await buildDashboard();
  const config = { readTokenRequired: true, webhookSecretDefault: WEBHOOK_SECRET };
  stack = await startStack({ matrix, concurrency: 2, config, server: pluginOptions(loadConfig(config)) });
  readToken = stack.server.tokens.create('dashboard-reader', 'read').token;
  const created = await stack.api('POST', '/api/runs', { library: 'privlib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  run = await stack.waitForRun(created.body.id, 300_000);
  emptyDataDir = mkdtempSync(path.join(os.tmpdir(), 'compat-private-cli-'));
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  if (emptyDataDir) rmSync(emptyDataDir, { recursive: true, force: true });
});

describe('a private deployment', () => {
  const reads = () => [
    '/api/runs',
    `/api/runs/${run.id}`,
    `/api/runs/${run.id}/cells/app.sqlite`,
    `/api/runs/${run.id}/cells/app.sqlite/logs?side=candidate&follow=0`,
    `/api/runs/${run.id}/cells/app.sqlite/repro?side=baseline`,
    `/api/runs/${run.id}/builds/candidate/logs`,
    `/api/runs/${run.id}/events`,
    '/api/gate?library=privlib&version=1.1.0',
    '/api/history?library=privlib&consumer=app',
    '/readyz',
    '/metrics',
    '/',
    `/runs/${run.id}`,
  ];

  it('answers no read without a token, and every read with a read token', async () => {
    expect(run.verdict).toBe('pass');
    for (const route of reads()) {
      const anonymous = await get(route);
      expect(anonymous.status, `${route} without a token`).toBe(401);
      expect(anonymous.text, route).not.toContain('app.sqlite');
      expect((await get(route, 'cmx_not-a-token')).status, `${route} with a wrong token`).toBe(401);
    }
    for (const route of reads()) {
      if (route.endsWith('/events')) continue; // a stream: its headers are enough, below
      const res = await get(route, readToken);
      expect(res.status, `${route} with a read token: ${res.text.slice(0, 200)}`).toBe(200);
    }
    const events = await fetch(`${stack.server.url}/api/runs/${run.id}/events`, { headers: { Authorization: `Bearer ${readToken}` } });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    await events.body?.cancel();
  });

  it('still answers /healthz and the webhooks without a token', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const ping = JSON.stringify({ zen: 'hi', hook_id: 1, repository: { full_name: 'fixtures/privlib' } });
    const res = await fetch(`${stack.server.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'ping', 'X-GitHub-Delivery': 'private-ping-1', 'X-Hub-Signature-256': githubSignature(Buffer.from(ping), WEBHOOK_SECRET) },
      body: ping,
    });
    expect(res.status).toBe(200);
  });

  it('lets a read token read but not start a run or change the queue board; a write token starts runs', async () => {
    const body = { library: 'privlib', candidate: 'v1.1.0', baseline: 'v1.0.0' };
    const refused = await stack.api('POST', '/api/runs', body, readToken);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/may only read/);
    expect((await stack.api('POST', '/api/runs', body, null)).status).toBe(401);
    // Issue 16: every token but an admin one sees the queue board read-only (CONTRACT "tokens").
    expect((await get('/admin/queues', null, { Authorization: `Basic ${Buffer.from(`me:${readToken}`).toString('base64')}` })).status).toBe(200);
    const change = await fetch(`${stack.server.url}/admin/queues/api/queues/results/clean/completed`, { method: 'PUT', headers: { Authorization: `Basic ${Buffer.from(`me:${readToken}`).toString('base64')}` } });
    expect(change.status).toBe(403);
    expect((await get('/admin/queues', null, { Authorization: `Basic ${Buffer.from(`me:${stack.server.adminToken}`).toString('base64')}` })).status).toBe(200);
    // The write token that made the first run reads as well.
    expect((await get(`/api/runs/${run.id}`, stack.server.adminToken)).status).toBe(200);
  });

  it('the CLI sends COMPAT_TOKEN with report and gate', async () => {
    const env = (token: string) => childEnv({ COMPAT_SERVER_URL: stack.server.url, COMPAT_TOKEN: token, COMPAT_DATA_DIR: emptyDataDir, COMPAT_MATRIX: stack.config.matrixFile });
    const report = await runCompat(['report', run.id, '--json'], env(readToken));
    expect(report.code, report.output).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ id: run.id, verdict: 'pass' });
    const gate = await runCompat(['gate', '--library', 'privlib', '--version', '1.1.0'], env(readToken));
    expect(gate.code, gate.output).toBe(0);
    const refused = await runCompat(['report', run.id], env('cmx_not-a-token'));
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/valid API token is required/);
  });

  it('the dashboard asks for the token, then shows the runs, a live run, a cell with its log and script', async () => {
    // A run still in progress (as the store has it while cells are queued): its page follows the event stream.
    stack.server.store.insertRun(
      {
        id: 'rprivatelive',
        library: 'privlib',
        candidate: 'v1.1.0',
        baseline: 'v1.0.0',
        candidateVersion: '1.1.0',
        baselineVersion: '1.0.0',
        candidateSha: 'a'.repeat(40),
        baselineSha: 'b'.repeat(40),
        trigger: 'api',
        reruns: 0,
      },
      // The consumer as the finished run planned it.
      [{ id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: stack.server.store.cellConfig(run.id, 'app.sqlite')! }],
    );
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    page = await browser.context.newPage();
    await page.goto(`${stack.server.url}/runs/${run.id}`);
    await page.waitForSelector('#token');
    expect(await page.locator('h1').textContent()).toBe('compat-matrix');

    await page.fill('#token', 'cmx_not-a-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('.problem');
    expect(await page.locator('.problem').textContent()).toMatch(/not valid/);

    await page.fill('#token', readToken);
    await page.click('button[type=submit]');
    // Back where it was going: the run's page, its grid drawn from the API.
    await page.waitForURL(`${stack.server.url}/runs/${run.id}`);
    await page.waitForSelector('text=app');
    expect(await page.content()).toContain('pass');
    // The token lives in an HttpOnly cookie: the page's scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain(readToken);

    await page.goto(`${stack.server.url}/`);
    await page.waitForSelector(`a[href="/runs/${run.id}"]`);
    expect(await page.locator(`a[href="/runs/rprivatelive"]`).count()).toBe(1);

    await page.goto(`${stack.server.url}/runs/rprivatelive`);
    await page.waitForSelector('.live-live');

    await page.goto(`${stack.server.url}/runs/${run.id}/cells/app.sqlite`);
    await page.waitForSelector('#repro-docker:has-text("docker run")');
    await page.waitForSelector('text=suite on candidate');
  });
});
