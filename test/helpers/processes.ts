/**
 * compat-matrix as real processes, for the fault suite: `node bin/compat.js server|worker` children with
 * their own COMPAT_PREFIX, COMPAT_DATA_DIR, COMPAT_PORT and COMPAT_MATRIX, which a test can SIGKILL,
 * SIGTERM and start again. Everything a deployment leaves (processes, Redis keys, containers, cell
 * databases) is counted and removed by `cleanup`, so a test can say what it had to clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { deletePrefixedKeys } from './redis-keys.js';
import { removeSnapshots } from './snapshots.js';
import { REPO_ROOT } from '../../common/config.js';
import { databasesKey, spareDatabasesKey } from '../../common/queue/keys.js';
import type { RunJson } from '../../common/types.js';
import { createDocker } from '../../common/docker/engine.js';
import { containersWith, LABEL_PREFIX } from '../../workers/container/docker.js';
import { DatabaseServers, type ServerBackend } from '../../workers/databases/servers.js';

const BIN = path.join(REPO_ROOT, 'bin', 'compat.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  stdout(): string;
  exited: Promise<Exit>;
  readonly running: boolean;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  signal(signal: NodeJS.Signals): void;
}

/** The environment of a child: this one's, minus vitest's markers (they silence the logger). */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_ENV' && k !== 'TEST') env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Starts `compat ARGS`; `wrap` runs it through another command that execs it in place (e.g.
 * `ip netns exec NS`), so the child's pid is compat's own.
 */
export function spawnCompat(name: string, args: string[], env: NodeJS.ProcessEnv, logFile?: string, wrap: string[] = []): Proc {
  const argv = [...wrap, process.execPath, BIN, ...args];
  const child = spawn(argv[0], argv.slice(1), { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let all = '';
  let out = '';
  const sink: WriteStream | null = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
  const waiters = new Set<() => void>();
  const onData = (isOut: boolean) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    all += text;
    if (isOut) out += text;
    sink?.write(text);
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData(true));
  child.stderr!.on('data', onData(false));
  let running = true;
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => {
      running = false;
      for (const w of waiters) w();
      // Let the pipes drain before the log file closes.
      setTimeout(() => sink?.end(), 50);
      resolve({ code, signal });
    }),
  );
  return {
    name,
    child,
    pid: child.pid!,
    output: () => all,
    stdout: () => out,
    exited,
    get running() {
      return running;
    },
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(all);
          if (m) return done(() => resolve(m));
          if (!running) return done(() => reject(new Error(`${name} exited before printing ${pattern}:\n${all.slice(-3000)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${all.slice(-3000)}`))), timeoutMs);
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      });
    },
    signal(sig) {
      if (running) child.kill(sig);
    },
  };
}

/** Runs a compat command to its end. */
export async function runCompat(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; output: string }> {
  const proc = spawnCompat(`compat ${args[0]}`, args, env);
  const timer = setTimeout(() => proc.signal('SIGKILL'), timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { code: exit.code, stdout: proc.stdout(), output: proc.output() };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

export interface Leftovers {
  containers: number;
  databases: number;
  processes: number;
}

export interface Deployment {
  dir: string;
  dataDir: string;
  prefix: string;
  port: number;
  redisUrl: string;
  matrixFile: string;
  url: string;
  server: Proc | null;
  workers: Proc[];
  /** Env of every process of this deployment (extra per process on top). */
  env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;
  startServer(extra?: Record<string, string | undefined>): Promise<Proc>;
  /**
   * Starts a worker and waits until it takes jobs; returns it with its worker id, and with `metrics` the
   * address of its /metrics and /readyz (on a free port).
   */
  startWorker(options?: { concurrency?: number; env?: Record<string, string | undefined>; metrics?: boolean }): Promise<{ proc: Proc; id: string; metricsUrl: string | null }>;
  adminToken(): string;
  api(method: string, route: string, body?: unknown, token?: string | null, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string }>;
  createRun(body: Record<string, unknown>): Promise<RunJson>;
  /** Polls the API until the run is done; a server that is down for a while is waited for. */
  waitForRun(id: string, timeoutMs?: number): Promise<RunJson>;
  run(id: string): Promise<RunJson | null>;
  /** Containers carrying this deployment's prefix label. */
  containers(labels?: Record<string, string>): ReturnType<typeof containersWith>;
  /** Cell databases registered in Redis (name -> owner info). */
  registeredDatabases(): Promise<Record<string, string>>;
  redis(): Redis;
  /**
   * Stops every process (SIGKILL), then removes and counts what is left. Containers in `heldByEngine`
   * (ids a worker reported the engine refuses to remove) are tried too but not counted: the test that
   * saw them records them apart.
   */
  cleanup(options?: { databases?: Array<{ backend: ServerBackend; image: string; names: string[] }>; heldByEngine?: Iterable<string> }): Promise<Leftovers>;
}

export async function createDeployment(options: { matrix: (dir: string) => string; redisUrl?: string; env?: Record<string, string | undefined> }): Promise<Deployment> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-fault-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(path.join(dir, 'proc-logs'), { recursive: true });
  const matrixFile = options.matrix(dir);
  const prefix = `f${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const redisUrl = options.redisUrl ?? process.env.COMPAT_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisClients: Redis[] = [];
  let procCount = 0;

  const d: Deployment = {
    dir,
    dataDir,
    prefix,
    port,
    redisUrl,
    matrixFile,
    url: `http://127.0.0.1:${port}`,
    server: null,
    workers: [],
    env(extra = {}) {
      return childEnv({
        COMPAT_DATA_DIR: dataDir,
        COMPAT_PREFIX: prefix,
        COMPAT_PORT: String(port),
        COMPAT_MATRIX: matrixFile,
        COMPAT_REDIS_URL: redisUrl,
        COMPAT_SERVER_URL: `http://127.0.0.1:${port}`,
        COMPAT_LOG_LEVEL: 'info',
        ...options.env,
        ...extra,
      });
    },
    async startServer(extra = {}) {
      const proc = spawnCompat('server', ['server'], d.env(extra), path.join(dir, 'proc-logs', `server-${++procCount}.log`));
      d.server = proc;
      await proc.waitFor(/compat server: http:\/\/\S+/, 60_000);
      await until('the server to answer /healthz', async () => (await fetch(`${d.url}/healthz`)).ok, 30_000);
      return proc;
    },
    async startWorker({ concurrency = 2, env = {}, metrics = false } = {}) {
      const args = ['worker', '--concurrency', String(concurrency), ...(metrics ? ['--metrics-port', '0'] : [])];
      const proc = spawnCompat('worker', args, d.env(env), path.join(dir, 'proc-logs', `worker-${++procCount}.log`));
      d.workers.push(proc);
      const m = await proc.waitFor(/compat worker (\S+): concurrency[^\n]*\n/, 60_000); // the whole line: the port is at its end
      const port = /metrics on port (\d+)/.exec(m[0])?.[1];
      return { proc, id: m[1], metricsUrl: port ? `http://127.0.0.1:${port}` : null };
    },
    adminToken() {
      return readFileSync(path.join(dataDir, 'local-admin.token'), 'utf8').trim();
    },
    async api(method, route, body, token, headers = {}) {
      const h: Record<string, string> = { ...headers };
      if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
      const t = token === undefined ? d.adminToken() : token;
      if (t) h.Authorization = `Bearer ${t}`;
      const res = await fetch(`${d.url}${route}`, {
        method,
        headers: h,
        body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* plain text */
      }
      return { status: res.status, body: parsed, text };
    },
    async createRun(body) {
      const res = await d.api('POST', '/api/runs', body);
      if (res.status !== 201) throw new Error(`POST /api/runs gave ${res.status}: ${res.text}`);
      return res.body.run as RunJson;
    },
    async run(id) {
      try {
        const res = await d.api('GET', `/api/runs/${id}`, undefined, null);
        return res.status === 200 ? (res.body as RunJson) : null;
      } catch {
        return null; // server down for the moment
      }
    },
    async waitForRun(id, timeoutMs = 600_000) {
      let last: RunJson | null = null;
      try {
        return await until(`run ${id} to be done`, async () => {
          last = (await d.run(id)) ?? last;
          return last?.status === 'done' ? last : null;
        }, timeoutMs, 500);
      } catch (error) {
        const cells = (last as RunJson | null)?.cells.map((c) => `${c.id}=${c.verdict} (${c.candidate.status}/${c.baseline.status})`).join(', ');
        throw new Error(`${(error as Error).message}; cells: ${cells}`);
      }
    },
    containers(labels = {}) {
      return containersWith(createDocker(), { [LABEL_PREFIX]: prefix, ...labels });
    },
    async registeredDatabases() {
      return d.redis().hgetall(databasesKey(prefix));
    },
    redis() {
      const r = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false });
      r.on('error', () => undefined);
      redisClients.push(r);
      return r;
    },
    async cleanup({ databases = [], heldByEngine = [] } = {}) {
      const held = new Set(heldByEngine);
      const left: Leftovers = { containers: 0, databases: 0, processes: 0 };
      for (const proc of [d.server, ...d.workers]) {
        if (proc?.running) {
          left.processes++;
          proc.signal('SIGKILL');
          await proc.exited;
        }
      }
      const docker = createDocker();
      try {
        for (const c of await containersWith(docker, { [LABEL_PREFIX]: prefix })) {
          if (!held.has(c.Id)) left.containers++;
          await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
        }
      } catch {
        /* engine unreachable: nothing to count here, the summary asks again */
      }
      try {
        const servers = new DatabaseServers(docker, { network: 'compat-net', hostId: loadHostId() });
        for (const { backend, image, names } of databases) {
          if (names.length === 0) continue;
          const present = new Set(await servers.listCellDatabases(backend, image));
          for (const name of names.filter((n) => present.has(n))) {
            left.databases++;
            await servers.dropShared(backend, image, name).catch(() => undefined);
          }
        }
      } catch {
        /* as above */
      }
      try {
        const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
        redis.on('error', () => undefined);
        // Spare databases a killed worker made ahead and no cell took: not a cell's leftover, dropped here.
        const servers = new DatabaseServers(docker, { network: 'compat-net', hostId: loadHostId() });
        for (const [name, raw] of Object.entries(await redis.hgetall(spareDatabasesKey(prefix)))) {
          const info = JSON.parse(raw) as { backend: ServerBackend; image: string };
          await servers.dropShared(info.backend, info.image, name).catch(() => undefined);
        }
        await deletePrefixedKeys(redis, prefix);
        redis.disconnect();
      } catch {
        /* a dedicated Redis that is already gone */
      }
      await removeSnapshots(prefix).catch(() => undefined);
      for (const r of redisClients) r.disconnect();
      if (!process.env.COMPAT_FAULTS_KEEP) rmSync(dir, { recursive: true, force: true });
      return left;
    },
  };
  return d;
}

/** The host id workers use for the shared database servers (as loadConfig computes it). */
export function loadHostId(): string {
  return (process.env.COMPAT_HOST_ID ?? os.hostname()).toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
}
