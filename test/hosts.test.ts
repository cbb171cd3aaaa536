/**
 * Worker hosts that share nothing but Redis: two workers, each in a network namespace of its own (own
 * data dir, git mirrors, database servers and artifact cache; one Docker engine underneath, told apart
 * by the host id), reach a Redis of the test's own at this side's veth address. The example matrix
 * completes with cells on both hosts; then one host's worker is killed mid-run and the other finishes
 * that run with the same verdicts. The library's artifacts carry 21 MB more, through Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { REPO_ROOT } from '../common/config.js';
import { createQueues } from '../common/queue/bullmq.js';
import { artifactRedisKey } from '../common/queue/keys.js';
import type { RunJson } from '../common/types.js';
import { Store } from '../server/store/store.js';
import { createDocker } from '../common/docker/engine.js';
import { containersWith } from '../workers/container/docker.js';
import { createHostNamespace, namespaceExists, startPrivateRedis, type HostNamespace, type PrivateRedis } from './helpers/netns.js';
import { createDeployment, spawnCompat, until, type Deployment, type Proc } from './helpers/processes.js';

const PADDING_BYTES = 21 * 1000 * 1000;

/** The example matrix, repositories by absolute path, its build adding a 21 MB file to the artifacts. */
function exampleMatrix(dir: string): string {
  let text = readFileSync(path.join(REPO_ROOT, 'matrix.yaml'), 'utf8')
    .replaceAll('repo: examples/.repos/', `repo: ${path.join(REPO_ROOT, 'examples', '.repos')}/`)
    .replace('command: sh build-artifacts.sh', `command: sh build-artifacts.sh && head -c ${PADDING_BYTES} /dev/urandom > "$COMPAT_ARTIFACT_DIR/padding.bin"`);
  if (!text.includes('padding.bin')) throw new Error('matrix.yaml: the build command to extend was not found');
  // A deployment test: the run's own two artifacts are what it follows, not a bisect's builds after it.
  text = text.replace('  - name: quarry\n', '  - name: quarry\n    bisect: false\n');
  if (!text.includes('bisect: false')) throw new Error('matrix.yaml: the quarry library to keep from bisecting was not found');
  // A deployment test, not a timeout test: on a machine shared by many, a suite may take over 300 s.
  text = text.replaceAll('timeoutSeconds: 300', 'timeoutSeconds: 1800');
  const file = path.join(dir, 'matrix.yaml');
  writeFileSync(file, text);
  return file;
}

interface Host {
  id: string;
  ns: HostNamespace;
  dataDir: string;
  proc: Proc | null;
}

let redis: PrivateRedis;
let d: Deployment;
const hosts: Host[] = [];

function verdicts(run: RunJson): Record<string, string> {
  return Object.fromEntries(run.cells.map((c) => [c.id, c.verdict]));
}

function sideWorkers(runId: string) {
  const store = new Store(Store.fileIn(d.dataDir), { readonly: true });
  try {
    return store.sidePlacements(runId);
  } finally {
    store.close();
  }
}

async function startHostWorker(host: Host): Promise<Proc> {
  const env = d.env({
    COMPAT_REDIS_URL: redis.url(host.ns.hostAddress),
    COMPAT_DATA_DIR: host.dataDir,
    COMPAT_HOST_ID: host.id,
    // Nothing from the server's disk: the matrix's limits come through Redis.
    COMPAT_MATRIX: path.join(host.dataDir, 'no-matrix-here.yaml'),
    COMPAT_SERVER_URL: undefined,
    COMPAT_HEARTBEAT_SECONDS: '5',
    COMPAT_JOB_LOCK_SECONDS: '10',
  });
  const proc = spawnCompat(`worker ${host.id}`, ['worker'], env, path.join(d.dir, 'proc-logs', `${host.id}.log`), host.ns.exec);
  d.workers.push(proc);
  await proc.waitFor(/compat worker \S+: concurrency/, 120_000);
  host.proc = proc;
  return proc;
}

beforeAll(async () => {
  const tag = `cmh${Date.now().toString(36)}`;
  const namespaces = [createHostNamespace(`${tag}-a`), createHostNamespace(`${tag}-b`)];
  redis = await startPrivateRedis(['127.0.0.1', ...namespaces.map((n) => n.hostAddress)]);
  d = await createDeployment({ matrix: exampleMatrix, redisUrl: redis.url('127.0.0.1') });
  for (const [i, ns] of namespaces.entries()) hosts.push({ id: `${d.prefix}-host-${'ab'[i]}`, ns, dataDir: path.join(d.dir, `host-${'ab'[i]}`), proc: null });
  await d.startServer();
}, 300_000);

afterAll(async () => {
  const docker = createDocker();
  await d?.cleanup().catch(() => undefined);
  // Each host's long-lived database servers.
  for (const host of hosts) {
    for (const c of await containersWith(docker, { 'compat.host': host.id }).catch(() => [])) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
  }
  for (const host of hosts) host.ns.remove();
  await redis?.stop();
  for (const host of hosts) expect(namespaceExists(host.ns.name)).toBe(false);
}, 300_000);

describe('worker hosts that share only Redis', () => {
  it('run the example matrix on both hosts, and one host finishes the run the other was killed in, with the same verdicts', async () => {
    // In its namespace, a host reaches Redis only at the veth address: loopback there is its own.
    expect(() => execFileSync('ip', [...hosts[0].ns.exec.slice(1), 'redis-cli', '-p', String(redis.port), '-a', redis.password, '--no-auth-warning', 'ping'], { stdio: 'pipe', timeout: 10_000 })).toThrow();
    for (const host of hosts) {
      const proc = await startHostWorker(host);
      // Sized by the matrix's limits from Redis, not the defaults a host without the matrix would use.
      expect(proc.output()).toMatch(/concurrency \d+ \(.*per cell\)/);
      expect(proc.output()).not.toMatch(/no matrix seen/);
    }

    const first = await d.createRun({ library: 'quarry', candidate: 'v1.1.0' });
    const done = await d.waitForRun(first.id, 1_500_000);
    expect(done.verdict).toBe('blocked');
    expect(verdicts(done)).toMatchObject({ 'py-inventory.mysql': 'regression', 'js-ledger.mysql': 'regression', 'py-inventory.sqlite': 'pass', 'py-legacy.postgres': 'pass' });
    const ran = sideWorkers(first.id);
    for (const host of hosts) expect(ran.some((s) => s.worker?.startsWith(`${host.id}-`)), `cells on ${host.id}`).toBe(true);

    // The artifacts, padding and all, went through Redis, into the cache of whichever host ran cells.
    const r = new Redis(redis.url('127.0.0.1'));
    const keys = await r.keys(artifactRedisKey(d.prefix, '*'));
    r.disconnect();
    expect(keys.length).toBe(2);
    for (const host of hosts) {
      const artifacts = path.join(host.dataDir, 'artifacts');
      expect(existsSync(artifacts), host.id).toBe(true);
      const padding = execFileSync('find', [artifacts, '-name', 'padding.bin'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      expect(padding.length).toBeGreaterThan(0);
      for (const file of padding) expect(statSync(file).size).toBe(PADDING_BYTES);
    }

    // A second run; host a's worker dies while it runs cells of it. It is stopped (SIGSTOP) first, and the
    // server is let apply every result already sent: a side host a had ended just before may have had its
    // result on the way, and that one is rightly kept as host a's. What the store then still shows running
    // on host a cannot end there any more: it is surely lost with it, at any speed, and host b must run it.
    const second = await d.createRun({ library: 'quarry', candidate: 'v1.1.0' });
    const [a, b] = hosts;
    const onA = (s: { status: string; worker: string | null }) => s.status === 'running' && Boolean(s.worker?.startsWith(`${a.id}-`));
    const queues = createQueues({ redisUrl: redis.url('127.0.0.1'), prefix: d.prefix });
    const resultsApplied = async () => Object.values(await queues.jobCounts('results', ['wait', 'active', 'delayed', 'prioritized'])).every((n) => n === 0);
    let killedIn: string[] = [];
    await until(
      'host a to be stopped with a side of the second run it can no longer finish',
      async () => {
        if (!sideWorkers(second.id).some(onA)) return false;
        a.proc!.signal('SIGSTOP');
        await until('the results sent before the stop to be applied', resultsApplied, 120_000, 100);
        killedIn = sideWorkers(second.id).filter(onA).map((s) => s.cellId);
        if (killedIn.length > 0) return true;
        a.proc!.signal('SIGCONT');
        return false;
      },
      900_000,
      500,
    );
    await queues.close();
    a.proc!.signal('SIGKILL');
    expect((await a.proc!.exited).signal).toBe('SIGKILL');
    const finished = await d.waitForRun(second.id, 1_500_000);
    expect(verdicts(finished)).toEqual(verdicts(done));
    // What host a was running when it died was run again, to its end, on host b.
    const after = sideWorkers(second.id);
    for (const cell of killedIn) {
      expect(after.filter((s) => s.cellId === cell).some((s) => s.status !== 'running' && s.worker?.startsWith(`${b.id}-`)), cell).toBe(true);
    }
    expect(b.proc!.running).toBe(true);
  }, 3_600_000);
});
