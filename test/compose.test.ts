/**
 * docker-compose.yml, as a user starts it on this machine: `compat images` makes the images (offline
 * from Debian packages where no registry answers), `docker-compose up -d` brings up Redis, the server
 * and two workers, the example matrix runs through the composed server to its blocked verdict, the
 * workers scale to three, and `docker-compose down` plus the hosts' database servers leave nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../common/config.js';
import { workerHeartbeatPattern } from '../common/queue/keys.js';
import type { RunJson } from '../common/types.js';
import { createDocker } from '../common/docker/engine.js';
import { containersWith, LABEL_PREFIX } from '../workers/container/docker.js';
import { childEnv, freePort, runCompat, until } from './helpers/processes.js';
import { removeSnapshots } from './helpers/snapshots.js';

const project = `cmc${randomUUID().slice(0, 8)}`;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'compat-compose-'));
let port: number;
let env: NodeJS.ProcessEnv;
let upCalled = false;

/** docker-compose with this project's name; stdin closed (`exec -T` would wait on an open one). */
function compose(args: string[], timeoutMs = 600_000): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker-compose', ['-p', project, '-f', path.join(REPO_ROOT, 'docker-compose.yml'), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout });
      else reject(new Error(`docker-compose ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

async function workerIds(): Promise<string[]> {
  return (await compose(['ps', '-q', 'worker'])).stdout.split('\n').filter(Boolean);
}

async function running(ids: string[]): Promise<number> {
  const docker = createDocker();
  const states = await Promise.all(ids.map((id) => docker.getContainer(id).inspect().then((c) => c.State.Running, () => false)));
  return states.filter(Boolean).length;
}

/** Everything of this project on the engine: compose's containers, networks, volumes; cell containers and database servers. */
async function leftovers(): Promise<string[]> {
  const docker = createDocker();
  const byProject = { label: [`com.docker.compose.project=${project}`] };
  const found: string[] = [];
  for (const c of await docker.listContainers({ all: true, filters: byProject })) found.push(`container ${c.Names[0]}`);
  for (const n of await docker.listNetworks({ filters: byProject })) found.push(`network ${n.Name}`);
  for (const v of (await docker.listVolumes({ filters: byProject })).Volumes ?? []) found.push(`volume ${v.Name}`);
  for (const c of await containersWith(docker, { [LABEL_PREFIX]: project })) found.push(`cell container ${c.Names[0]}`);
  for (const c of await containersWith(docker, { 'compat.host': project })) found.push(`database server ${c.Names[0]}`);
  return found;
}

async function removeDatabaseServers(): Promise<void> {
  const docker = createDocker();
  for (const c of await containersWith(docker, { 'compat.host': project })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
}

beforeAll(async () => {
  port = await freePort();
  // The example matrix, its suites given time for a machine shared by many (a deployment test, not a timeout test).
  const matrixFile = path.join(dataDir, 'matrix.yaml');
  writeFileSync(matrixFile, readFileSync(path.join(REPO_ROOT, 'matrix.yaml'), 'utf8').replaceAll('timeoutSeconds: 300', 'timeoutSeconds: 1800'));
  env = childEnv({ COMPAT_MATRIX_FILE: matrixFile, COMPAT_PREFIX: project, COMPAT_PORT: String(port), COMPAT_HOST_ID: project, COMPAT_WORKER_DATA_DIR: dataDir, COMPAT_PUBLIC_URL: `http://127.0.0.1:${port}` });
  // What the README says to run first; offline, it builds redis:7 and compat-matrix:local from Debian packages.
  const images = await runCompat(['images'], childEnv({}), 3_000_000);
  expect(images.code, images.output).toBe(0);
  expect(images.output).toMatch(/compat-matrix:local: (built|reused|present)/);
}, 3_100_000);

afterAll(async () => {
  if (upCalled) await compose(['down', '-v', '--remove-orphans', '--timeout', '10']).catch(() => undefined);
  await removeDatabaseServers().catch(() => undefined);
  // The install snapshots its workers made outlive `down` (they are the host's cache): the test's own go.
  await removeSnapshots(project).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}, 600_000);

describe('docker compose', () => {
  it('up -d runs the example matrix to its blocked verdict, scales to three workers, and down leaves nothing', async () => {
    upCalled = true;
    await compose(['up', '-d']);
    console.log(`compose: ${project} up`);
    const url = `http://127.0.0.1:${port}`;
    // A bound on each try: the engine's port proxy accepts connections before the server listens.
    await until('the composed server to answer', async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).ok, 300_000, 1000);
    console.log('compose: server answers');
    expect(await workerIds()).toHaveLength(2);
    await until('two workers running', async () => (await running(await workerIds())) === 2, 120_000, 1000);
    console.log('compose: two workers running');

    const token = (await compose(['exec', '-T', 'server', 'cat', '/data/local-admin.token'], 120_000)).stdout.trim();
    console.log(`compose: admin token read (${token.length} characters)`);
    const created = await fetch(`${url}/api/runs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ library: 'quarry', candidate: 'v1.1.0' }),
      signal: AbortSignal.timeout(120_000),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    console.log(`compose: run ${id} created`);
    const done = await until(
      `run ${id} to be done`,
      async () => {
        const res = await fetch(`${url}/api/runs/${id}`, { signal: AbortSignal.timeout(30_000) });
        const body = (await res.json()) as RunJson;
        return body.status === 'done' ? body : null;
      },
      1_800_000,
      3000,
    );
    // A wrong verdict names each cell's own, with the sides' reasons (a deployment failure shows as errors).
    const cellLines = done.cells.map((c) => `${c.id}: ${c.verdict}${c.reason ? ` (${c.reason})` : ''}; candidate ${c.candidate.status}${c.candidate.reason ? ` (${c.candidate.reason})` : ''}; baseline ${c.baseline.status}${c.baseline.reason ? ` (${c.baseline.reason})` : ''}`);
    expect(done.verdict, cellLines.join('\n')).toBe('blocked');
    expect(done.cells.filter((c) => c.verdict === 'regression').map((c) => c.id).sort()).toEqual(['js-ledger.mysql', 'py-inventory.mysql']);

    console.log(`compose: run ${id} ${done.verdict}`);
    await compose(['up', '-d', '--scale', 'worker=3']);
    await until('three workers running', async () => (await running(await workerIds())) === 3, 180_000, 1000);
    // All three take jobs: each heart-beats in Redis.
    await until('three worker heartbeats', async () => {
      const keys = (await compose(['exec', '-T', 'redis', 'redis-cli', '--scan', '--pattern', workerHeartbeatPattern(project)])).stdout.split('\n').filter(Boolean);
      return keys.length === 3;
    }, 180_000, 2000);

    await compose(['down', '-v', '--remove-orphans', '--timeout', '30']);
    upCalled = false;
    await removeDatabaseServers();
    expect(await leftovers()).toEqual([]);
  }, 3_600_000);
});
