/**
 * Issue 16 item 4: followed logs cannot exhaust Redis. On a real server and Redis:
 * - 500 concurrent followers of logs that are missing (a finished side, an unknown side, a done run)
 *   or finished each get an answer at once, and this server's clients in Redis's `CLIENT LIST` stay
 *   within a small constant of before (each follower held a connection of its own before);
 * - 50 followers of a live side share one reader: still a small constant of clients, and all get the
 *   log once a worker writes it;
 * - past the caps (per client, in total; logs and `/events`) the answer is 429 naming the cap, and a
 *   client that goes away gives its slot back (the server drops its interest in the log).
 * Every request has its own timeout and is aborted in `finally`, on an agent with a socket per request.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logKey } from '../common/queue/keys.js';
import { LogWriter } from '../common/queue/redis-data.js';
import type { NewCell, NewRun } from '../server/store/store.js';
import { sleep, until } from './helpers/processes.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const PER_CLIENT = 50;
const TOTAL = 80;

let stack: Stack;
let redis: Redis;
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

interface Answer {
  status: number;
  body: string;
}

/**
 * One GET, with its own timeout: `answer` settles with the whole body (or rejects on the timeout or
 * an abort); `headers` with the status as soon as it is known. `abort()` ends it, whatever its state.
 */
function get(route: string, options: { localAddress?: string; timeoutMs?: number } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer to ${route} in ${options.timeoutMs ?? 30_000} ms`)), options.timeoutMs ?? 30_000);
  let onHeaders: (status: number) => void = () => undefined;
  const headers = new Promise<number>((resolve) => (onHeaders = resolve));
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = http.get(`${stack.server.url}${route}`, { agent, signal: controller.signal, localAddress: options.localAddress }, (res) => {
      onHeaders(res.statusCode ?? 0);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted')));
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined);
  return {
    answer,
    headers,
    abort: () => {
      clearTimeout(timer);
      controller.abort();
    },
  };
}

/** The local ports of this process's TCP sockets (the server under test runs in it). */
function ownPorts(): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const link = readlinkSync(path.join('/proc/self/fd', fd));
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9])) ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}

/** Redis's `CLIENT LIST`: every client, and those that are this process's (the server's and this test's). */
async function clients(): Promise<{ all: number; ours: number }> {
  const list = ((await redis.call('CLIENT', 'LIST')) as string).trim().split('\n');
  const ports = ownPorts();
  const ours = list.filter((line) => {
    const m = /\baddr=[^ ]*:(\d+) /.exec(line);
    return m !== null && ports.has(Number(m[1]));
  }).length;
  return { all: list.length, ours };
}

const CELL: NewCell = { id: 'app.sqlite', consumer: 'app', backend: 'sqlite', config: {} as NewCell['config'] };

function insertRun(id: string, status: 'running' | 'done'): void {
  const run: NewRun = {
    id,
    library: 'lib',
    candidate: 'v1.1.0',
    baseline: 'v1.0.0',
    candidateVersion: '1.1.0',
    baselineVersion: '1.0.0',
    candidateSha: 'a'.repeat(40),
    baselineSha: 'b'.repeat(40),
    trigger: 'api',
    reruns: 1,
  };
  stack.server.store.insertRun(run, [CELL]);
  stack.server.store.setRunState(id, status, 'pending');
}

beforeAll(async () => {
  stack = await startStack({
    matrix: (dir) => writeMatrix(dir, 'version: 1\nlibraries: []\n'),
    worker: false,
    config: { streamCaps: { logFollowers: TOTAL, logFollowersPerClient: PER_CLIENT, eventListeners: TOTAL, eventListenersPerClient: PER_CLIENT } },
  });
  redis = new Redis(stack.config.redisUrl);
  // A done run; a running one whose candidate finished (no log anywhere) and whose baseline runs.
  insertRun('done-run', 'done');
  insertRun('live-run', 'running');
  const store = stack.server.store;
  store.recordSideResult({ runId: 'live-run', cellId: CELL.id, side: 'candidate', attempt: 0, status: 'passed', durationMs: 5, overheadMs: 1, tests: [] });
  store.markSideRunning('live-run', CELL.id, 'baseline', 0, 'w1');
}, 120_000);

afterAll(async () => {
  agent.destroy();
  redis?.disconnect();
  await stack?.close();
}, 120_000);

/** Opens `n` followers of the live side's log (nothing written yet) and waits until the server holds them. */
async function holdFollowers(n: number, localAddress?: string) {
  const before = stack.server.logFollowers.size;
  const held = Array.from({ length: n }, () => get(`/api/runs/live-run/cells/${CELL.id}/logs?side=baseline&follow=1`, { localAddress, timeoutMs: 50_000 }));
  await until(`${n} followers held`, () => stack.server.logFollowers.size >= before + n, 30_000, 50);
  return held;
}

describe('log followers', () => {
  it('500 followers of missing and finished logs each get an answer, and add no Redis clients', async () => {
    const before = await clients();
    const routes = [
      `/api/runs/done-run/cells/${CELL.id}/logs?side=candidate&follow=1`, // a done run, no log
      `/api/runs/done-run/cells/${CELL.id}/logs?side=baseline&attempt=3&follow=1`, // a side that never ran
      `/api/runs/live-run/cells/${CELL.id}/logs?side=candidate&follow=1`, // a finished side of a live run, no log
      `/api/runs/live-run/cells/${CELL.id}/logs?side=candidate&attempt=7&follow=1`, // an attempt the run never makes
      `/api/runs/done-run/builds/candidate/logs`, // a build of a done run
    ];
    const requests = Array.from({ length: 500 }, (_, i) => get(routes[i % routes.length], { timeoutMs: 40_000 }));
    try {
      const started = Date.now();
      const settled = Promise.allSettled(requests.map((r) => r.answer));
      // Counted once all are answered, or while they are still held (each held one connection before).
      await Promise.race([settled, sleep(15_000)]);
      const during = await clients();
      const answers = await settled;
      const failed = answers.flatMap((a, i) => (a.status === 'rejected' ? [`${routes[i % routes.length]}: ${(a.reason as Error).message}`] : []));
      process.stderr.write(
        `log-followers: ${500 - failed.length} of 500 answered in ${Date.now() - started} ms; Redis clients all ${before.all} -> ${during.all}, this server's ${before.ours} -> ${during.ours}\n`,
      );
      expect(failed.slice(0, 5), `${failed.length} of 500 got no answer`).toEqual([]);
      for (const a of answers) expect(a.status === 'fulfilled' && a.value.status).toBe(200);
      expect(during.ours - before.ours).toBeLessThanOrEqual(3);
      expect(stack.server.logFollowers.size).toBe(0);
    } finally {
      for (const r of requests) r.abort();
    }
  }, 60_000);

  it('followers of a live side share one reader and all get the log when it is written', async () => {
    const before = await clients();
    const held = await holdFollowers(PER_CLIENT);
    try {
      const during = await clients();
      expect(during.ours - before.ours).toBeLessThanOrEqual(3);
      const writer = new LogWriter(redis, logKey(stack.config.prefix, 'live-run', CELL.id, 'baseline', 0), 1 << 20);
      writer.write('collected 3 items\npassed\n');
      await writer.end();
      const answers = await Promise.all(held.map((h) => h.answer));
      for (const a of answers) expect(a).toEqual({ status: 200, body: 'collected 3 items\npassed\n' });
      await until('followers gone', () => stack.server.logFollowers.size === 0, 10_000, 50);
    } finally {
      for (const h of held) h.abort();
      await redis.del(logKey(stack.config.prefix, 'live-run', CELL.id, 'baseline', 0));
    }
  }, 60_000);

  it('answers 429 naming the cap past the per-client and total caps, and a client that goes gives its slot back', async () => {
    const mine = await holdFollowers(PER_CLIENT);
    const other: ReturnType<typeof get>[] = [];
    const extra: ReturnType<typeof get>[] = [];
    try {
      const refused = get(`/api/runs/live-run/cells/${CELL.id}/logs?side=baseline&follow=1`);
      extra.push(refused);
      const a = await refused.answer;
      expect(a.status).toBe(429);
      expect(JSON.parse(a.body)).toMatchObject({ cap: 'COMPAT_MAX_LOG_FOLLOWERS_PER_CLIENT', limit: PER_CLIENT, error: expect.stringMatching(/too many log followers from this client/) });

      // Another client (another loopback address) fills the rest of the total.
      other.push(...(await holdFollowers(TOTAL - PER_CLIENT, '127.0.0.2')));
      const third = get(`/api/runs/live-run/cells/${CELL.id}/logs?side=baseline&follow=1`, { localAddress: '127.0.0.3' });
      extra.push(third);
      const t = await third.answer;
      expect(t.status).toBe(429);
      expect(JSON.parse(t.body)).toMatchObject({ cap: 'COMPAT_MAX_LOG_FOLLOWERS', limit: TOTAL });

      // The first client goes: the server lets go of its followers, and a new one is taken.
      for (const h of mine) h.abort();
      await until('the gone followers dropped', () => stack.server.logFollowers.size === TOTAL - PER_CLIENT, 15_000, 50);
      const again = get(`/api/runs/live-run/cells/${CELL.id}/logs?side=baseline&follow=1`);
      extra.push(again);
      expect(await again.headers).toBe(200);
    } finally {
      for (const h of [...mine, ...other, ...extra]) h.abort();
    }
    await until('every follower dropped', () => stack.server.logFollowers.size === 0, 15_000, 50);
  }, 60_000);

  it('caps /events listeners per client with 429 too', async () => {
    const streams = Array.from({ length: PER_CLIENT }, () => get('/api/runs/live-run/events', { timeoutMs: 50_000 }));
    const extra: ReturnType<typeof get>[] = [];
    try {
      for (const status of await Promise.all(streams.map((s) => s.headers))) expect(status).toBe(200);
      const refused = get('/api/runs/live-run/events');
      extra.push(refused);
      const a = await refused.answer;
      expect(a.status).toBe(429);
      expect(JSON.parse(a.body)).toMatchObject({ cap: 'COMPAT_MAX_EVENT_LISTENERS_PER_CLIENT', limit: PER_CLIENT });
    } finally {
      for (const s of [...streams, ...extra]) s.abort();
    }
  }, 60_000);
});
