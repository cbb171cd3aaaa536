/**
 * Small in-memory stand-ins for the worker's ports, for the processors' unit tests only: a container
 * "runs" a function that writes to the host folders bound into it and prints output, git checkouts are
 * files written into the destination, Redis is a Map. The integration tests (test/) use the real ones.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../common/config.js';
import { GitError } from '../../common/git/mirror.js';
import { checkMessage, ResultMessage } from '../../common/queue/jobs.js';
import type { ContainerOutcome, ContainerSpec } from '../container/spec.js';
import type { CellDatabase } from '../databases/servers.js';
import type { LogSink, WorkerPorts } from '../ports.js';

/** What a fake container does: prints, writes into its bind mounts, and ends with some outcome. */
export type FakeSuite = (run: {
  spec: ContainerSpec;
  print(text: string | Buffer, stream?: 'stdout' | 'stderr'): void;
  /** The host path behind a path inside the container (one of its binds). */
  hostPath(containerPath: string): string;
}) => Promise<Partial<ContainerOutcome>> | Partial<ContainerOutcome>;

export interface FakePorts extends WorkerPorts {
  /** Every container spec run, in order. */
  runs: ContainerSpec[];
  /** Log text by key, and which logs were ended. */
  logs: Map<string, string>;
  endedLogs: Set<string>;
  results: ResultMessage[];
  artifactStore: Map<string, Map<string, Buffer>>;
  registered: Map<string, Record<string, string>>;
  released: string[];
  dropped: string[];
  /** What the next containers do (one per run; the last one repeats). */
  suites: FakeSuite[];
  images: WorkerPorts['images'] & { present: Set<string> };
  /** Repositories: ref -> sha, sha -> files. */
  repos: Map<string, { refs: Record<string, string>; files: Record<string, Record<string, string>> }>;
  /** Makes the next database drop fail (an engine that is away). */
  failNextDrop: boolean;
}

export function fakePorts(overrides: { secrets?: Record<string, Record<string, string>> } = {}): FakePorts {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'compat-unit-'));
  // No install snapshots or package caches: those need an engine that commits images (test/snapshots.test.ts).
  const config = loadConfig({ dataDir, prefix: 'unit', caBundle: null, artifactLimitMb: 1, snapshots: false, packageCaches: false });
  const logs = new Map<string, string>();
  const endedLogs = new Set<string>();
  const present = new Set(['compat-runner:bookworm']);
  let dbCount = 0;
  const ports: FakePorts = {
    config,
    workerId: 'worker-unit',
    runs: [],
    logs,
    endedLogs,
    results: [],
    artifactStore: new Map(),
    registered: new Map(),
    released: [],
    dropped: [],
    suites: [],
    repos: new Map(),
    failNextDrop: false,
    containers: {
      async run(spec) {
        ports.runs.push(spec);
        const suite = ports.suites.length > 1 ? ports.suites.shift()! : ports.suites[0];
        if (!suite) throw new Error('fake container: no suite set');
        const hostPath = (inside: string) => {
          for (const bind of spec.binds) {
            const [host, target] = bind.split(':');
            if (inside === target || inside.startsWith(`${target}/`)) return path.join(host, inside.slice(target.length));
          }
          throw new Error(`fake container: ${inside} is not under a bind mount`);
        };
        const print = (text: string | Buffer, stream: 'stdout' | 'stderr' = 'stdout') => spec.onOutput(Buffer.from(text), stream);
        const outcome = await suite({ spec, print, hostPath });
        return { exitCode: 0, oomKilled: false, timedOut: false, aborted: false, diskExceeded: false, pidLimitHit: false, durationMs: 1, ...outcome };
      },
    },
    images: {
      present,
      has: async (image) => present.has(image),
      build: async (spec) => {
        present.add(spec.tag);
      },
      id: async (image) => (present.has(image) ? `sha256:${Buffer.from(image).toString('hex').slice(0, 64)}` : null),
      config: async () => ({ env: [], size: 0 }),
    },
    sources: {
      async resolve(repo, ref) {
        const sha = ports.repos.get(repo)?.refs[ref];
        if (!sha) throw new GitError(`ref "${ref}" does not exist in ${repo}`, true);
        return sha;
      },
      async checkout(repo, sha, dest) {
        const files = ports.repos.get(repo)?.files[sha];
        if (!files) throw new GitError(`cannot fetch ${repo}: connection refused`, false);
        mkdirSync(dest, { recursive: true });
        for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dest, name), content);
      },
      async blobIds(repo, sha, paths) {
        const files = ports.repos.get(repo)?.files[sha] ?? {};
        return Object.fromEntries(paths.filter((p) => p in files).map((p) => [p, Buffer.from(files[p]).toString('hex').slice(0, 40)]));
      },
    },
    databases: {
      async createDatabase(backend, _image, register) {
        const name = `c_${String(++dbCount).padStart(12, '0')}`;
        await register(name);
        return fakeDatabase(ports, name, `${backend === 'postgres' ? 'postgresql' : 'mysql'}://${name}:pw@db:5432/${name}`);
      },
      async startDedicated(backend, _image, fixed) {
        return { ...fakeDatabase(ports, fixed.database, `${backend}://${fixed.user}@127.0.0.1/${fixed.database}`), networkMode: 'container:dedicated' };
      },
    },
    spareDatabases: {
      // No pool ahead of time here: made when taken, registered as the cell's.
      take: (backend, image, run) =>
        ports.databases.createDatabase(backend, image, (name) => ports.registerDatabase(name, { worker: ports.workerId, backend, image, run })),
    },
    spareServers: {
      take: (backend, image, fixed, owner, limits) => ports.databases.startDedicated(backend, image, fixed, owner, limits),
    },
    layers: {
      async ensure() {
        throw new Error('fake ports: install snapshots are off in unit tests');
      },
      hold: () => () => undefined,
      evict: async () => ({ removed: 0, keptBytes: 0 }),
    },
    artifacts: {
      async files(key) {
        const files = ports.artifactStore.get(key);
        return files ? [...files.keys()].sort() : null;
      },
      async put(key, files) {
        ports.artifactStore.set(key, new Map(files));
      },
      async get(key) {
        return ports.artifactStore.get(key) ?? null;
      },
    },
    secrets: {
      unreadVariables: [],
      forConsumer(_library, consumer, names) {
        const own = overrides.secrets?.[consumer] ?? {};
        return Object.fromEntries(names.filter((n) => own[n]).map((n) => [n, own[n]]));
      },
    },
    openLog(key): LogSink {
      logs.set(key, '');
      return {
        write: (text) => void logs.set(key, logs.get(key)! + text),
        end: async () => void endedLogs.add(key),
      };
    },
    async registerDatabase(name, info) {
      ports.registered.set(name, info);
    },
    async unregisterDatabase(name) {
      ports.registered.delete(name);
    },
    releaseDatabase(name) {
      ports.released.push(name);
    },
    async sendResult(message) {
      // As the server takes it off Redis: JSON, then the catalogue's schema (a wrong shape throws here).
      checkMessage(ResultMessage, JSON.parse(JSON.stringify(message)), `${message.kind} message`);
      ports.results.push(message);
    },
    log: pino({ level: 'silent' }),
  };
  return ports;
}

function fakeDatabase(ports: FakePorts, name: string, url: string): CellDatabase {
  return {
    name,
    url,
    async drop() {
      if (ports.failNextDrop) {
        ports.failNextDrop = false;
        throw new Error('engine away');
      }
      ports.dropped.push(name);
    },
  };
}

/** The whole text of the one log whose key contains `part`. */
export function logText(ports: FakePorts, part: string): string {
  const keys = [...ports.logs.keys()].filter((k) => k.includes(part));
  if (keys.length !== 1) throw new Error(`expected one log matching ${part}, found ${keys.join(', ') || 'none'}`);
  return ports.logs.get(keys[0])!;
}
