/**
 * Real suites as their maintainers run them, on real Docker and real databases: a suite in a subfolder
 * (`workdir`) that connects to 127.0.0.1 as a password-less superuser it expects, on PostgreSQL and
 * MariaDB; and a suite that cannot even start on either side, which is no evidence and no pass.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../common/config.js';
import { fixtureLibrary, makeRepo } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

let stack: Stack;

/** Connects as the suite's maintainers do: fixed user, no password, loopback, standard port. */
const FIXED_SUITE = `import os
import pathlib

BACKEND = os.environ["APP_DB_BACKEND"]


def connect(database="app_test"):
    if BACKEND == "postgres":
        import psycopg2
        return psycopg2.connect(host="127.0.0.1", port=5432, user="tester", dbname=database)
    import pymysql
    return pymysql.connect(host="127.0.0.1", port=3306, user="tester", password="", database=database, autocommit=True)


def test_runs_in_its_subfolder():
    assert pathlib.Path.cwd().name == "suite"
    assert pathlib.Path("conftest_marker.txt").exists()


def test_connects_without_a_password():
    with connect() as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchone()[0] == 1


def test_creates_another_database_as_superuser():
    conn = connect()
    if BACKEND == "postgres":
        conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE DATABASE scratch_copy")
    cur.execute("DROP DATABASE scratch_copy")
    conn.close()
`;

/** A suite whose conftest imports a module nobody installed: pytest stops before collecting a test. */
const BROKEN_CONFTEST = 'import module_that_is_not_installed  # noqa: F401\n';
const BROKEN_TEST = 'def test_never_runs():\n    assert True\n';

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'ok'],
  ]);
  const fixed = makeRepo(path.join(dir, 'repos', 'fixed-app'), [
    {
      tag: 'v1.0.0',
      files: { 'README': 'the suite lives in suite/\n', 'suite/test_fixed.py': FIXED_SUITE, 'suite/conftest_marker.txt': 'here\n' },
    },
  ]);
  const broken = makeRepo(path.join(dir, 'repos', 'broken-app'), [
    { tag: 'v1.0.0', files: { 'tests/conftest.py': BROKEN_CONFTEST, 'tests/test_app.py': BROKEN_TEST } },
  ]);
  const fixedConnection = '{ database: app_test, user: tester, superuser: true }';
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 1 }
libraries:
  - name: fixlib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: fixed-app
        repo: ${fixed}
        ref: v1.0.0
        image: compat-runner:bookworm
        workdir: suite
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: python3 -m pytest -q -p no:cacheprovider --junitxml="$COMPAT_RESULTS_DIR/junit.xml"
        backends: [mysql, postgres]
        env: { APP_DB_BACKEND: "\${COMPAT_BACKEND}" }
        timeoutSeconds: 180
        fixedConnection:
          mysql: ${fixedConnection}
          postgres: ${fixedConnection}
      - name: broken-app
        repo: ${broken}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: python3 -m pytest -q -p no:cacheprovider --junitxml="$COMPAT_RESULTS_DIR/junit.xml" tests
        backends: [sqlite]
        timeoutSeconds: 120
`,
  );
}

function gate(version: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'compat.js'), 'gate', '--library', 'fixlib', '--version', version], {
      cwd: REPO_ROOT,
      env: { ...process.env, COMPAT_SERVER_URL: stack.server.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

async function run(body: Record<string, unknown>) {
  const created = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v1.1.0', baseline: 'v1.0.0', ...body });
  expect(created.status).toBe(201);
  return stack.waitForRun(created.body.id);
}

beforeAll(async () => {
  stack = await startStack({ matrix, concurrency: 2 });
});

afterAll(async () => {
  await stack?.close();
});

describe('suites as they are', () => {
  it('a password-less superuser on 127.0.0.1, in a subfolder of the repository, on PostgreSQL and MariaDB', async () => {
    const r = await run({ consumers: ['fixed-app'] });
    expect(r.verdict).toBe('pass');
    for (const backend of ['mysql', 'postgres']) {
      const cell = r.cells.find((c) => c.backend === backend)!;
      expect(cell, backend).toMatchObject({ verdict: 'pass', candidate: { status: 'passed', tests: { passed: 3, failed: 0 } }, baseline: { tests: { passed: 3 } } });
    }
  });

  it('a suite that cannot start on either side is no evidence: failing with a reason, the run incomplete, the gate 3', async () => {
    const r = await run({ consumers: ['broken-app'] });
    expect(r.cells[0]).toMatchObject({ verdict: 'failing', reason: 'baseline passed no test', baseline: { status: 'failed', tests: { passed: 0 } } });
    expect(r.verdict).toBe('incomplete');
    const log = await stack.api('GET', `/api/runs/${r.id}/cells/${r.cells[0].id}/logs?side=baseline`);
    expect(log.body).toContain('module_that_is_not_installed');
    const answer = await gate('1.1.0');
    expect(answer.stdout).toContain('incomplete');
    expect(answer.code).toBe(3);
  });
});
