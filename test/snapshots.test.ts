/**
 * Install snapshots, baseline reuse and targeted re-runs on real Docker, git, Redis and the store. The
 * consumer's install writes a random id into the snapshot (in /workspace and in /tmp); its suite prints
 * that id, so a log shows which install a side ran from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixtureLibrary } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';
import { createDocker } from '../common/docker/engine.js';
import { LABEL_KIND, LABEL_PREFIX } from '../workers/container/docker.js';
import { queryStore } from './helpers/snapshots.js';
import { imagesWith } from '../workers/images/host-images.js';
import { LABEL_SNAPSHOT_CONSUMER, LABEL_SNAPSHOT_LAYER } from '../workers/snapshots/layers.js';

let stack: Stack;
let consumerRepo: string;

/** Tests a, b, c as JUnit; with ONLY_FILE, only the ids listed there. Prints the install's and candidate install's ids. */
const SUITE = `#!/bin/sh
set -u
behaviour=$(cat "$COMPAT_ARTIFACT_DIR/behaviour.txt")
echo "install-id=$(cat /tmp/deps/id) workspace-id=$(cat /workspace/.install-id) candidate-id=$(cat /workspace/.candidate-id)"
status=0
{
  echo '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="fixture">'
  for t in a b c; do
    if [ -n "\${ONLY_FILE:-}" ] && ! grep -qx "suite::test_$t" "$ONLY_FILE"; then continue; fi
    if [ "$behaviour" = break-b ] && [ $t = b ]; then
      echo "<testcase classname=\\"suite\\" name=\\"test_$t\\"><failure message=\\"broke\\">x</failure></testcase>"
      status=1
    else
      echo "<testcase classname=\\"suite\\" name=\\"test_$t\\"/>"
    fi
  done
  echo '</testsuite></testsuites>'
} > "$COMPAT_RESULTS_DIR/junit.xml"
echo "ran: $(grep -o 'name="test_[a-c]"' "$COMPAT_RESULTS_DIR/junit.xml" | tr '\\n' ' ')"
exit $status
`;

const INSTALL = `#!/bin/sh
set -eu
cat /proc/sys/kernel/random/uuid > /workspace/.install-id
mkdir -p /tmp/deps && cp /workspace/.install-id /tmp/deps/id
`;

function git(dir: string, args: string[]) {
  execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
}

function matrixText(lib: string, appRef: string): string {
  const common = `repo: ${consumerRepo}
        image: compat-runner:bookworm
        install: sh install.sh
        installCandidate: cp "$COMPAT_ARTIFACT_DIR/behaviour.txt" /workspace/.behaviour && cat /proc/sys/kernel/random/uuid > /workspace/.candidate-id
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 60
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }`;
  return `version: 1
defaults: { reruns: 1 }
libraries:
  - name: fixlib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        ref: ${appRef}
        rerun: ONLY_FILE="$COMPAT_RERUN_TESTS_FILE" sh run-tests.sh
        ${common}
      - name: app2
        ref: v1.0.0
        # Selects nothing: the re-run falls back to the whole suite.
        rerun: echo "cannot select"
        ${common}
`;
}

async function run(body: Record<string, unknown>) {
  const created = await stack.api('POST', '/api/runs', { library: 'fixlib', ...body });
  expect(created.status).toBe(201);
  return stack.waitForRun(created.body.id);
}

async function log(runId: string, cellId: string, side: string, attempt = 0): Promise<string> {
  const res = await stack.api('GET', `/api/runs/${runId}/cells/${cellId}/logs?side=${side}&attempt=${attempt}&follow=0`);
  return String(res.body);
}

const idsIn = (text: string) => {
  const m = /install-id=(\S+) workspace-id=(\S+) candidate-id=(\S+)/.exec(text);
  return m ? { install: m[1], workspace: m[2], candidate: m[3] } : null;
};

async function snapshots(layer: 'install' | 'candidate', consumer?: string) {
  const images = await imagesWith(createDocker(), { [LABEL_KIND]: 'snapshot', [LABEL_PREFIX]: stack.config.prefix });
  return images.filter((i) => i.labels[LABEL_SNAPSHOT_LAYER] === layer && (!consumer || i.labels[LABEL_SNAPSHOT_CONSUMER] === consumer));
}

let lib: string;
beforeAll(async () => {
  stack = await startStack({
    concurrency: 2,
    matrix: (dir) => {
      lib = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [
        ['v1.0.0', 'ok'],
        ['v1.1.0', 'break-b'],
        ['v1.2.0', 'ok-too'],
      ]);
      consumerRepo = path.join(dir, 'repos', 'app');
      execFileSync('mkdir', ['-p', consumerRepo]);
      git(consumerRepo, ['init', '-q', '-b', 'main']);
      writeFileSync(path.join(consumerRepo, 'run-tests.sh'), SUITE);
      writeFileSync(path.join(consumerRepo, 'install.sh'), INSTALL);
      writeFileSync(path.join(consumerRepo, 'package-lock.json'), '{"lockfileVersion": 3, "v": 1}\n');
      git(consumerRepo, ['add', '-A']);
      git(consumerRepo, ['commit', '-q', '-m', 'v1.0.0']);
      git(consumerRepo, ['tag', 'v1.0.0']);
      return writeMatrix(dir, matrixText(lib, 'v1.0.0'));
    },
  });
  // ok-too behaves as ok in the suite: a pass.
}, 900_000);

afterAll(async () => {
  await stack?.close();
});

describe('install snapshots', () => {
  let first: Awaited<ReturnType<typeof run>>;

  it('runs install once per consumer: both sides start from the same snapshot, two consumers never share one', async () => {
    first = await run({ candidate: 'v1.2.0', baseline: 'v1.0.0' });
    expect(first.cells.map((c) => [c.id, c.verdict])).toEqual([['app.sqlite', 'pass'], ['app2.sqlite', 'pass']]);
    const app = [idsIn(await log(first.id, 'app.sqlite', 'candidate')), idsIn(await log(first.id, 'app.sqlite', 'baseline'))];
    const app2 = [idsIn(await log(first.id, 'app2.sqlite', 'candidate')), idsIn(await log(first.id, 'app2.sqlite', 'baseline'))];
    for (const ids of [...app, ...app2]) {
      expect(ids).not.toBeNull();
      // What install put in /tmp is still there: the snapshot is the filesystem it left.
      expect(ids!.install).toBe(ids!.workspace);
    }
    expect(app[0]!.install).toBe(app[1]!.install);
    expect(app2[0]!.install).toBe(app2[1]!.install);
    expect(app[0]!.install).not.toBe(app2[0]!.install);
    // Candidate and baseline artifacts differ: one candidate layer each.
    expect(app[0]!.candidate).not.toBe(app[1]!.candidate);
    expect(await snapshots('install', 'app')).toHaveLength(1);
    expect(await snapshots('install', 'app2')).toHaveLength(1);
    // Sides running at once wait for one install instead of each running their own.
    const installsRun = [];
    for (const cell of ['app.sqlite', 'app2.sqlite']) {
      for (const side of ['candidate', 'baseline']) if ((await log(first.id, cell, side)).includes('not on this host, running install')) installsRun.push(cell);
    }
    expect(installsRun).toEqual(['app.sqlite', 'app2.sqlite']);
    expect(first.cells[0].candidate.phases).toMatchObject({ install: expect.any(Number), test: expect.any(Number), container: expect.any(Number) });
    // The worker's metrics count them: each side looks up its install snapshot and its candidate layer,
    // and each of the four candidate layers (two artifacts, two snapshots) was made anew.
    const lookups = (await stack.worker!.metrics.registry.getSingleMetric('compat_worker_cache_lookups_total')!.get()).values;
    const snapshotLookups = (outcome: string) => lookups.find((v) => v.labels.cache === 'snapshot' && v.labels.outcome === outcome)?.value ?? 0;
    expect(snapshotLookups('hit') + snapshotLookups('miss')).toBe(8);
    expect(snapshotLookups('miss')).toBeGreaterThanOrEqual(4);
  });

  it('a changed ref and lockfile make a new snapshot; the old ref keeps its own', async () => {
    writeFileSync(path.join(consumerRepo, 'package-lock.json'), '{"lockfileVersion": 3, "v": 2}\n');
    git(consumerRepo, ['commit', '-q', '-am', 'v1.0.1']);
    git(consumerRepo, ['tag', 'v1.0.1']);
    writeMatrix(stack.dir, matrixText(lib, 'v1.0.1'));
    const again = await run({ candidate: 'v1.2.0', baseline: 'v1.0.0', consumers: ['app'] });
    expect(again.cells[0].verdict).toBe('pass');
    const ids = idsIn(await log(again.id, 'app.sqlite', 'candidate'));
    const before = idsIn(await log(first.id, 'app.sqlite', 'candidate'));
    expect(ids!.install).not.toBe(before!.install);
    expect(await snapshots('install', 'app')).toHaveLength(2);
    writeMatrix(stack.dir, matrixText(lib, 'v1.0.0'));
  });

  it('an evicted snapshot is rebuilt, not an error', async () => {
    const evicted = await stack.worker!.ports.layers.evict(0);
    expect(evicted.removed).toBeGreaterThan(0);
    expect(await snapshots('install')).toHaveLength(0);
    const after = await run({ candidate: 'v1.2.0', baseline: 'v1.0.0', consumers: ['app'], freshBaseline: true });
    expect(after.cells[0]).toMatchObject({ verdict: 'pass', baseline: { status: 'passed' } });
    expect(after.cells[0].baseline.reusedFrom).toBeUndefined();
    const ids = idsIn(await log(after.id, 'app.sqlite', 'candidate'));
    const before = idsIn(await log(first.id, 'app.sqlite', 'candidate'));
    expect(ids!.install).not.toBe(before!.install);
    expect(await snapshots('install', 'app')).toHaveLength(1);
  });
});

describe('baseline reuse and targeted re-runs', () => {
  it('reuses the baseline on attempt 0, never on confirming re-runs; the rerun command runs only the new failures', async () => {
    const r = await run({ candidate: 'v1.1.0', baseline: 'v1.0.0' });
    expect(r.verdict).toBe('blocked');
    for (const cell of r.cells) {
      expect(cell).toMatchObject({ verdict: 'regression', newFailures: ['suite::test_b'], attempts: 2 });
      expect(cell.baseline.reusedFrom).toMatch(/^r/);
      expect(cell.baseline.tests.passed).toBe(3);
    }
    const rows = queryStore<{ cell: string; side: string; attempt: number; reusedFrom: string | null }>(
      stack.config.dataDir,
      `SELECT cell_id AS cell, side, attempt, reused_from AS reusedFrom FROM side_results WHERE run_id = ? ORDER BY cell_id, attempt, side`,
      r.id,
    );
    // Only attempt 0's baseline came from elsewhere; the confirming re-run ran both sides.
    expect(rows.filter((x) => x.reusedFrom).map((x) => [x.cell, x.side, x.attempt])).toEqual([
      ['app.sqlite', 'baseline', 0],
      ['app2.sqlite', 'baseline', 0],
    ]);
    expect(await log(r.id, 'app.sqlite', 'baseline', 1)).toContain('ran: name="test_b"');
    expect(await log(r.id, 'app.sqlite', 'candidate', 1)).toMatch(/ran: name="test_b" \n/);
    // app2's rerun selects nothing: the whole suite ran instead.
    const fallback = await log(r.id, 'app2.sqlite', 'candidate', 1);
    expect(fallback).toContain('running the whole suite');
    expect(fallback).toContain('ran: name="test_a" name="test_b" name="test_c"');
  });

  it('freshBaseline runs the baseline anew', async () => {
    const r = await run({ candidate: 'v1.2.0', baseline: 'v1.0.0', consumers: ['app2'], freshBaseline: true });
    expect(r.cells[0].verdict).toBe('pass');
    expect(r.cells[0].baseline.reusedFrom).toBeUndefined();
    const reused = await run({ candidate: 'v1.2.0', baseline: 'v1.0.0', consumers: ['app2'] });
    expect(reused.cells[0].baseline.reusedFrom).toBe(r.id);
    // Phases and reuse reach /metrics.
    const metrics = String((await stack.api('GET', '/metrics')).body);
    expect(metrics).toMatch(/compat_sides_total\{side="baseline",source="reused"\} [1-9]/);
    expect(metrics).toMatch(/compat_side_phase_seconds_count\{side="candidate",phase="test"\} [1-9]/);
    expect(metrics).toMatch(/compat_side_phase_seconds_count\{side="candidate",phase="install"\} [1-9]/);
  });
});
