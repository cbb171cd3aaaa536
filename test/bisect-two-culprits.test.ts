/**
 * A bisect per test on real parts (issue 23 item 3): a library whose history has two culprits, one that
 * breaks three tests and a later one that breaks a fourth, on real git, its builds and the steps in real
 * containers, the queue on real Redis. The bisect names both commits with their tests, in at most one
 * search per culprit; the single-culprit histories stay in test/bisect.test.ts.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BisectJson, RunJson } from '../common/types.js';
import { commitsBetween, fixtureLibrary, makeRepo } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');

/** Three tests fail once the artifact says `break-a` or `break-ab`; one more once it says `break-ab`. */
const SUITE = `#!/bin/sh
set -u
behaviour=$(cat "$COMPAT_ARTIFACT_DIR/behaviour.txt")
echo "suite on $COMPAT_SIDE ($COMPAT_LIBRARY_VERSION), behaviour=$behaviour"
a=pass; b=pass
case "$behaviour" in
  break-a) a=fail ;;
  break-ab) a=fail; b=fail ;;
esac
status=0
{
  echo '<testsuites><testsuite name="orm">'
  for t in returning_1 returning_2 returning_3 knex_methods other; do
    r=pass
    case "$t" in returning_*) r=$a ;; knex_methods) r=$b ;; esac
    if [ "$r" = fail ]; then status=1; echo "<testcase classname=\\"orm\\" name=\\"$t\\"><failure message=\\"$t broke\\"/></testcase>"; else echo "<testcase classname=\\"orm\\" name=\\"$t\\"/>"; fi
  done
  echo '</testsuite></testsuites>'
} > "$COMPAT_RESULTS_DIR/junit.xml"
exit $status
`;

/** 13 commits after v1.0.0: the 4th breaks the RETURNING tests, the 10th knex_methods. */
const HISTORY: Array<[string | null, string]> = [
  ['v1.0.0', 'ok'],
  ...Array.from({ length: 12 }, (_, i): [null, string] => [null, i + 1 >= 10 ? 'break-ab' : i + 1 >= 4 ? 'break-a' : 'ok']),
  ['v1.1.0', 'break-ab'],
];

let stack: Stack;
let lib: string;
let run: RunJson;
let bisect: BisectJson;

function matrix(dir: string): string {
  lib = fixtureLibrary(path.join(dir, 'repos', 'orm'), HISTORY);
  const app = makeRepo(path.join(dir, 'repos', 'orm-app'), [{ tag: 'v1.0.0', files: { 'run-tests.sh': SUITE } }]);
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 1 }
libraries:
  - name: orm
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: orm-app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 30
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`,
  );
}


async function compat(...args: string[]): Promise<{ code: number; stdout: string }> {
  const env = { ...process.env, COMPAT_SERVER_URL: stack.server.url, COMPAT_TOKEN: stack.server.adminToken, COMPAT_DATA_DIR: stack.config.dataDir };
  try {
    const { stdout } = await execFileAsync(process.execPath, [path.join(ROOT, 'bin', 'compat.js'), ...args], { env, cwd: ROOT });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

beforeAll(async () => {
  stack = await startStack({ matrix, concurrency: 3 });
  const created = await stack.api('POST', '/api/runs', { library: 'orm', candidate: 'v1.1.0', baseline: 'v1.0.0' });
  expect(created.status).toBe(201);
  run = await stack.waitForSettled(created.body.id);
  bisect = run.cells[0].bisect!;
}, 900_000);

afterAll(async () => {
  await stack?.close();
});

describe('a bisect per test on a real two-culprit history', () => {
  it('names both first bad commits with the tests that first fail at each, the earliest as firstBad', () => {
    const commits = commitsBetween(lib, 'v1.0.0', 'v1.1.0');
    expect(run.cells[0].verdict).toBe('regression');
    expect([...run.cells[0].newFailures].sort()).toEqual(['orm::knex_methods', 'orm::returning_1', 'orm::returning_2', 'orm::returning_3']);
    expect(bisect).toMatchObject({
      status: 'found',
      cellId: 'orm-app.sqlite',
      commits: commits.length,
      firstBad: { sha: commits[3], subject: 'commit 4: break-a' },
      culprits: [
        { firstBad: { sha: commits[3], subject: 'commit 4: break-a' } },
        { firstBad: { sha: commits[9], subject: 'commit 10: break-ab' }, tests: ['orm::knex_methods'] },
      ],
      explains: { tests: 4, of: 4 },
    });
    expect([...bisect.culprits![0].tests].sort()).toEqual(['orm::returning_1', 'orm::returning_2', 'orm::returning_3']);
  });

  it('takes at most one search per culprit: 2 x (ceil(log2 N) + 2) steps, every step true to its commit', () => {
    const commits = commitsBetween(lib, 'v1.0.0', 'v1.1.0');
    expect(bisect.steps.length).toBeLessThanOrEqual(2 * (Math.ceil(Math.log2(commits.length)) + 2));
    for (const step of bisect.steps) expect(step.outcome, step.sha).toBe(commits.indexOf(step.sha) >= 3 ? 'bad' : 'good');
    console.log(`two-culprit bisect: ${bisect.steps.length} steps over ${commits.length} commits: ${bisect.steps.map((s) => `${s.sha.slice(0, 7)} ${s.outcome}`).join(', ')}`);
  });

  it('compat report groups them, and the status words name each with its count', async () => {
    const report = await compat('report', run.id);
    const [a, b] = bisect.culprits!.map((c) => c.firstBad.sha.slice(0, 7));
    expect(report.stdout).toContain(`first bad: ${a} (3), ${b} (1)`);
    expect(report.stdout).toContain(`3 tests first fail at ${a}: commit 4: break-a`);
    expect(report.stdout).toContain(`1 test first fails at ${b}: commit 10: break-ab`);
    const json = JSON.parse((await compat('report', run.id, '--json')).stdout) as RunJson;
    expect(json.cells[0].bisect?.culprits?.map((c) => c.tests.length)).toEqual([3, 1]);
  });
});
