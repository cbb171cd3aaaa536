/**
 * The schema as evidence, end to end (issue 19 item 3): a real worker runs each side's migrations in its
 * container, reads the schema from the cell's real database, and the server diffs the two sides. The
 * library's v1.1.0 makes its MySQL DDL drop a column's unique flag: the consumers' tests pass on both
 * sides, the schema diff names the lost unique index on MySQL alone, and the run is blocked; v1.1.1
 * restores it and passes. A consumer with `schema:` and no `test:` is judged on its schema alone.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureLibrary, makeRepo } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';
import type { CellJson } from '../common/wire.js';

/** The consumer's migration: `users` with a unique email, as the library's DDL builder would make it. */
const MIGRATE = `import os, urllib.parse
url = os.environ["DATABASE_URL"]
backend = os.environ["COMPAT_BACKEND"]
behaviour = open(os.path.join(os.environ["COMPAT_ARTIFACT_DIR"], "behaviour.txt")).read().strip()
unique = "" if behaviour == "nounique-mysql" and backend == "mysql" else " UNIQUE"
ddl = "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL%s, name VARCHAR(100))" % unique
if backend == "sqlite":
    import sqlite3
    conn = sqlite3.connect(urllib.parse.urlparse(url).path)
else:
    u = urllib.parse.urlparse(url)
    args = dict(host=u.hostname, port=u.port, user=urllib.parse.unquote(u.username), password=urllib.parse.unquote(u.password))
    if backend == "postgres":
        import psycopg2
        conn = psycopg2.connect(dbname=u.path.lstrip("/"), **args)
    else:
        import pymysql
        conn = pymysql.connect(database=u.path.lstrip("/"), **args)
cur = conn.cursor()
cur.execute(ddl)
conn.commit()
print("migrated:", ddl)
`;

/** Tests that never insert a duplicate: they pass whatever the schema says about uniqueness. */
const TEST = `import os
with open(os.path.join(os.environ["COMPAT_RESULTS_DIR"], "junit.xml"), "w") as f:
    f.write('<testsuite name="app"><testcase classname="app" name="creates_a_user"/><testcase classname="app" name="renames_a_user"/></testsuite>')
`;

let stack: Stack;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'lib'), [['v1.0.0', 'ok'], ['v1.1.0', 'nounique-mysql'], ['v1.1.1', 'ok']]);
  const app = makeRepo(path.join(dir, 'repos', 'app'), [{ tag: 'v1', files: { 'migrate.py': MIGRATE, 'test.py': TEST } }]);
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 1 }
libraries:
  - name: lib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh }
    consumers:
      - name: app
        repo: ${app}
        ref: v1
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        schema: { migrate: python3 migrate.py, onChange: block }
        test: python3 test.py
        backends: [sqlite, postgres, mysql]
        timeoutSeconds: 120
      - name: schema-only
        repo: ${app}
        ref: v1
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        schema: { migrate: python3 migrate.py }
        backends: [sqlite, mysql]
        timeoutSeconds: 120
`,
  );
}

beforeAll(async () => {
  stack = await startStack({ matrix, concurrency: 3 });
}, 300_000);

afterAll(async () => {
  await stack?.close();
});

describe('the schema a consumer\'s migrations build', { timeout: 400_000 }, () => {
  it('blocks the release whose MySQL DDL lost a unique flag, on MySQL alone, with the tests identical on both sides', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'lib', candidate: 'v1.1.0' });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id);
    expect(run.verdict).toBe('blocked');
    const byId: Record<string, CellJson> = Object.fromEntries(run.cells.map((c: CellJson) => [c.id, c]));
    expect(Object.fromEntries(run.cells.map((c: { id: string; verdict: string }) => [c.id, c.verdict]))).toEqual({
      'app.sqlite': 'pass',
      'app.postgres': 'pass',
      'app.mysql': 'regression',
      'schema-only.sqlite': 'pass',
      'schema-only.mysql': 'regression',
    });
    for (const id of ['app.mysql', 'schema-only.mysql']) {
      expect(byId[id].reason).toBe('schema differs: 1 changes');
      expect(byId[id].schemaChanges).toEqual([
        { object: 'table users / index (email)', change: 'removed', baseline: expect.objectContaining({ columns: ['email'], unique: true }), candidate: null },
      ]);
    }
    // The tests say nothing: the same passes on both sides, no new failure.
    expect(byId['app.mysql'].candidate.tests).toEqual({ passed: 2, failed: 0, skipped: 0 });
    expect(byId['app.mysql'].baseline.tests).toEqual({ passed: 2, failed: 0, skipped: 0 });
    expect(byId['app.mysql'].newFailures).toEqual([]);
    expect(byId['app.postgres'].schemaChanges).toBeUndefined();
    expect(byId['app.mysql'].candidate.phases).toHaveProperty('schema');
    // Without test:, a schema that matched is evidence enough: no "baseline passed no test".
    expect(byId['schema-only.sqlite'].reason).toBeUndefined();
  });

  it('passes the patch release that restores it', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'lib', candidate: 'v1.1.1', baseline: 'v1.0.0' });
    const run = await stack.waitForRun(created.body.id);
    expect(run.verdict).toBe('pass');
    expect(run.cells.every((c: { verdict: string; schemaChanges?: unknown }) => c.verdict === 'pass' && c.schemaChanges === undefined)).toBe(true);
  });
});
