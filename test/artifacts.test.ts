/**
 * A library build is untrusted code too: what it leaves in $COMPAT_ARTIFACT_DIR is read by the worker
 * host and copied into Redis and into every consumer's container. A link to a file of the worker host
 * (its /etc/shadow) must not be followed, and an artifact past the size limit is refused: either way the
 * run's cells end as `error` with a reason that names the problem, and nothing of the host's file
 * shows up in any log or anywhere in Redis.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { makeRepo } from './helpers/git-fixtures.js';
import { prefixedValues } from './helpers/redis-keys.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

/** A file only the worker host has, with content nothing else could print. */
const HOST_FILE = path.join(os.tmpdir(), `compat-host-only-${randomBytes(6).toString('hex')}`);
const HOST_MARKER = `host-only-${randomBytes(12).toString('hex')}`;

const BUILD_OK = 'cp behaviour.txt "$COMPAT_ARTIFACT_DIR/behaviour.txt"\n';

let stack: Stack;

function matrix(dir: string): string {
  const lib = makeRepo(path.join(dir, 'repos', 'lib'), [
    { tag: 'v1.0.0', files: { 'behaviour.txt': 'ok\n', 'build.sh': BUILD_OK } },
    {
      tag: 'v1.1.0',
      files: { 'build.sh': `${BUILD_OK}ln -s /etc/shadow "$COMPAT_ARTIFACT_DIR/leak.txt"\nln -s ${HOST_FILE} "$COMPAT_ARTIFACT_DIR/marker.txt"\necho linked\n` },
    },
    // Two files of 700 KiB: each under the 1 MB limit, together over it.
    { tag: 'v1.2.0', files: { 'build.sh': `${BUILD_OK}head -c 716800 /dev/zero > "$COMPAT_ARTIFACT_DIR/a.bin"\nhead -c 716800 /dev/zero > "$COMPAT_ARTIFACT_DIR/b.bin"\n` } },
  ]);
  // The consumer prints whatever the artifact's links point at, as a hostile pair would.
  const app = makeRepo(path.join(dir, 'repos', 'app'), [
    {
      tag: 'v1.0.0',
      files: {
        'run-tests.sh': `for f in leak.txt marker.txt; do [ -e "$COMPAT_ARTIFACT_DIR/$f" ] && head -c 60 "$COMPAT_ARTIFACT_DIR/$f"; done\necho '<testsuite name="s"><testcase classname="s" name="t"/></testsuite>' > "$COMPAT_RESULTS_DIR/junit.xml"\n`,
      },
    },
  ]);
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 0 }
libraries:
  - name: lib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: "true"
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 60
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`,
  );
}

beforeAll(async () => {
  writeFileSync(HOST_FILE, `${HOST_MARKER}\n`, { mode: 0o600 });
  stack = await startStack({ matrix, concurrency: 2, config: { artifactLimitMb: 1 } });
});

afterAll(async () => {
  await stack?.close();
  rmSync(HOST_FILE, { force: true });
});

/** Every value under the stack's prefix in Redis, as text (artifacts are hashes of file contents). */
async function redisDump(): Promise<string> {
  const redis = new Redis(stack.config.redisUrl);
  try {
    return await prefixedValues(redis, stack.config.prefix);
  } finally {
    redis.disconnect();
  }
}

/** The build logs as the API serves them, and every log archived on disk (cell logs are in the Redis dump). */
async function logsOf(runId: string): Promise<string> {
  const texts: string[] = [];
  for (const side of ['candidate', 'baseline']) {
    texts.push(await fetch(`${stack.server.url}/api/runs/${runId}/builds/${side}/logs`).then((r) => r.text()));
  }
  const archive = path.join(stack.config.dataDir, 'logs');
  if (existsSync(archive)) {
    for (const file of readdirSync(archive, { recursive: true, withFileTypes: true })) {
      if (file.isFile()) texts.push(readFileSync(path.join(file.parentPath, file.name), 'utf8'));
    }
  }
  return texts.join('\n');
}

describe('artifact build output', () => {
  it('a link to a file of the worker host is refused: the cell is error, and the file is in no log and nowhere in Redis', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id);
    expect(run.verdict).toBe('incomplete');
    expect(run.cells[0]).toMatchObject({ verdict: 'error', candidate: { status: 'error' } });
    expect(run.cells[0].candidate.reason).toMatch(/\$COMPAT_ARTIFACT_DIR\/(leak|marker)\.txt is a symbolic link/);

    const everywhere = `${await logsOf(run.id)}\n${await redisDump()}`;
    expect(everywhere).toContain('linked'); // the build did run, and its log is there
    expect(everywhere).not.toContain(HOST_MARKER);
    const shadowLines = readFileSync('/etc/shadow', 'utf8').split('\n').filter((l) => l.length >= 8);
    expect(shadowLines.length).toBeGreaterThan(0);
    for (const line of shadowLines) expect(everywhere.includes(line), `a line of the host's /etc/shadow (${line.split(':')[0]}) leaked`).toBe(false);
  });

  it('an artifact over COMPAT_ARTIFACT_LIMIT_MB is refused with the limit named', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'lib', candidate: 'v1.2.0', baseline: 'v1.0.0' });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id);
    expect(run.cells[0]).toMatchObject({ verdict: 'error', candidate: { status: 'error' } });
    expect(run.cells[0].candidate.reason).toMatch(/artifact is over the 1 MB limit \(COMPAT_ARTIFACT_LIMIT_MB\)/);
    // The baseline's small artifact went through.
    expect(run.cells[0].baseline.status).toBe('passed');
  });
});
