/**
 * Issue 16 item 1: the queue board is full Redis power, so only an admin token may change queues
 * through it. On a real server and Redis: a write token's add, retry, clean and promote are refused
 * and the results queue gains nothing (on the old board one such POST was a `side-done` result no worker
 * produced); an admin token (made with `compat tokens create NAME --scope admin`) does all four; and
 * a write token's GET of the board still shows the queues, read-only.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laneQueueName, RESULTS_QUEUE } from '../common/queue/bullmq.js';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { childEnv, runCompat } from './helpers/processes.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

let stack: Stack;
let writeToken: string;
let adminToken: string;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'boardlib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'ok'],
  ]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  return writeMatrix(
    dir,
    `version: 1
libraries:
  - name: boardlib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        test: sh run-tests.sh
        backends: [sqlite]
`,
  );
}

/** Every job a queue holds, in any state: what an added job would change. */
async function jobsIn(queue: string): Promise<number> {
  const res = await board('GET', `/api/queues?activeQueue=${queue}&status=latest&page=1`, adminToken);
  expect(res.status).toBe(200);
  const found = (res.body as { queues: Array<{ name: string; counts: Record<string, number> }> }).queues.find((x) => x.name === queue);
  expect(found, `queue ${queue} on the board`).toBeDefined();
  return Object.values(found!.counts).reduce((a, b) => a + b, 0);
}

async function board(method: string, route: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.server.url}/admin/queues${route}`, {
    method,
    headers: { Authorization: `Basic ${Buffer.from(`me:${token}`).toString('base64')}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** The routes of the issue: add a job, retry the failed, clean the completed, promote the delayed. */
const CHANGES = (queue: string) => [
  ['POST', `/api/queues/${queue}/add`, { name: 'side-done', data: { kind: 'side-done', runId: 'forged', cellId: 'app.sqlite', side: 'candidate', attempt: 0 } }],
  ['PUT', `/api/queues/${queue}/retry/failed`, {}],
  ['PUT', `/api/queues/${queue}/clean/completed`, {}],
  ['PUT', `/api/queues/${queue}/promote`, {}],
] as const;

beforeAll(async () => {
  stack = await startStack({ matrix, worker: false });
  writeToken = stack.server.tokens.create('ci-bot', 'write').token;
  adminToken = stack.server.tokens.create('ops', 'admin').token;
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe('the queue board', () => {
  it('refuses a write token every change, and the results queue gains nothing', async () => {
    const before = await jobsIn(RESULTS_QUEUE);
    for (const [method, route, body] of CHANGES(RESULTS_QUEUE)) {
      const res = await board(method, route, writeToken, body);
      expect(res.status, `${method} ${route}: ${JSON.stringify(res.body)}`).toBe(403);
      expect(res.body.error).toMatch(/read-only queue board.*admin token/);
    }
    expect(await jobsIn(RESULTS_QUEUE)).toBe(before);
  });

  it('shows a write token the queues, read-only', async () => {
    const res = await board('GET', '/api/queues?activeQueue=results&status=latest&page=1', writeToken);
    expect(res.status).toBe(200);
    const names = (res.body.queues as Array<{ name: string; readOnlyMode: boolean }>).map((q) => [q.name, q.readOnlyMode]);
    expect(names).toEqual(expect.arrayContaining([[RESULTS_QUEUE, true], [laneQueueName('sqlite'), true], [laneQueueName('build'), true]]));
    // The page itself (the UI shell) loads too.
    const page = await board('GET', '/', writeToken);
    expect(page.status).toBe(200);
    expect(String(page.body)).toMatch(/<html/i);
  });

  it('lets an admin token add, retry, clean and promote', async () => {
    // A lane no worker takes from here: the added job stays where it was put.
    const lane = laneQueueName('sqlite');
    const before = await jobsIn(lane);
    for (const [method, route, body] of CHANGES(lane)) {
      const res = await board(method, route, adminToken, body);
      expect(res.status, `${method} ${route}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect(await jobsIn(lane)).toBe(before + 1);
    const seen = await board('GET', `/api/queues?activeQueue=${lane}&status=latest&page=1`, adminToken);
    expect((seen.body.queues as Array<{ name: string; readOnlyMode: boolean }>).find((q) => q.name === lane)?.readOnlyMode).toBe(false);
  });

  it('compat tokens create NAME --scope admin makes such a token; an unknown scope is a usage error', async () => {
    const env = childEnv({ COMPAT_DATA_DIR: stack.config.dataDir, COMPAT_MATRIX: stack.config.matrixFile });
    const created = await runCompat(['tokens', 'create', 'ops-cli', '--scope', 'admin'], env, 120_000);
    expect(created.code, created.output).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^cmx_/);
    expect((await board('PUT', `/api/queues/${laneQueueName('sqlite')}/clean/completed`, token, {})).status).toBe(200);
    const wrong = await runCompat(['tokens', 'create', 'x', '--scope', 'root'], env, 120_000);
    expect(wrong.code).toBe(2);
    expect(wrong.output).toContain('--scope: "root" is not one of read, write, admin');
  });

  it('still asks for a token at all', async () => {
    expect((await fetch(`${stack.server.url}/admin/queues/api/queues`, { signal: AbortSignal.timeout(30_000) })).status).toBe(401);
  });
});
