/**
 * A whole compat-matrix stack inside the test process: real Redis (a queue prefix of its own), real
 * Docker, a store in a temp data dir, a server on a free port and a worker. Cleaned up afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { deletePrefixedKeys } from './redis-keys.js';
import { loadConfig, type Config } from '../../common/config.js';
import type { RunJson } from '../../common/types.js';
import { startServer, type ServerHandle, type ServerOptions } from '../../server/server.js';
import { startWorker, type WorkerHandle, type WorkerOptions } from '../../workers/worker.js';
import { removeSnapshots } from './snapshots.js';

export interface Stack {
  config: Config;
  server: ServerHandle;
  worker: WorkerHandle | null;
  dir: string;
  /** Starts a worker in this process (the last one started is `worker`; all are closed by `close`). */
  startWorker(concurrency?: number, options?: WorkerOptions): Promise<WorkerHandle>;
  waitForRun(id: string, timeoutMs?: number): Promise<RunJson>;
  /** The run done and every bisect it started ended (its steps' containers gone with them). */
  waitForSettled(id: string, timeoutMs?: number): Promise<RunJson>;
  api(method: string, route: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export function writeMatrix(dir: string, text: string): string {
  const file = path.join(dir, 'matrix.yaml');
  writeFileSync(file, text);
  return file;
}

export async function startStack(options: {
  matrix: (dir: string) => string;
  concurrency?: number;
  worker?: boolean;
  server?: Partial<ServerOptions>;
  /** Options a test sets on purpose (e.g. a small limit), over those from the environment. */
  config?: Partial<Config>;
}): Promise<Stack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-test-'));
  const matrixFile = options.matrix(dir);
  const config = loadConfig({
    dataDir: path.join(dir, 'data'),
    prefix: `t${randomUUID().slice(0, 8)}`,
    matrixFile,
    port: 0,
    ...options.config,
  });
  const server = await startServer(config, { port: 0, ...options.server });
  config.publicUrl = server.url;
  const workers: WorkerHandle[] = [];
  const stack: Stack = {
    config,
    server,
    worker: null,
    dir,
    async startWorker(concurrency = options.concurrency ?? 2, workerOptions = {}) {
      stack.worker = await startWorker(config, { concurrency, ...workerOptions });
      workers.push(stack.worker);
      return stack.worker;
    },
    async waitForRun(id, timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = server.store.getRun(id);
        if (run?.status === 'done') return run;
        if (Date.now() > deadline) throw new Error(`run ${id} not done after ${timeoutMs} ms: ${JSON.stringify(run?.cells.map((c) => [c.id, c.verdict]))}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async waitForSettled(id, timeoutMs = 900_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await stack.waitForRun(id, timeoutMs);
        if (!run.cells.some((c) => c.bisect?.status === 'running')) return run;
        if (Date.now() > deadline) throw new Error(`bisects of run ${id} not done after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async api(method, route, body, token = server.adminToken) {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (token) headers.Authorization = `Bearer ${token}`;
      const res = await fetch(`${server.url}${route}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* plain text */
      }
      return { status: res.status, body: parsed };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close(5_000).catch(() => undefined)));
      await server.close().catch(() => undefined);
      await removeSnapshots(config.prefix).catch(() => undefined);
      const redis = new Redis(config.redisUrl);
      // Everything this stack put in Redis carries its prefix.
      await deletePrefixedKeys(redis, config.prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.worker !== false) await stack.startWorker();
  return stack;
}
