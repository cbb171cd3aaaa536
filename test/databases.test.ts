/**
 * Databases on real servers: every cell side gets a database of its own that nothing else sees, on the
 * shared PostgreSQL and MariaDB servers and on a dedicated server for a suite with a fixed connection;
 * each is dropped afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fixtureLibrary, makeRepo } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';
import { createDocker } from '../common/docker/engine.js';
import { containersWith, LABEL_KIND, LABEL_PREFIX } from '../workers/container/docker.js';
import { SPARE_OWNER } from '../workers/databases/spare-servers.js';
import { DatabaseServers } from '../workers/databases/servers.js';

/** A fixed connection's password with what SQL string literals escape: a backslash and a quote. */
const FIXED_PASSWORD = "le\\ga'cy\\'-pw";

/**
 * The probe suite: creates a table named after its own side, waits so that cells overlap, then checks
 * that its database holds only that table (another cell's table would show here if they shared one).
 */
const PROBE = `import os, sys, time, urllib.parse
FIXED_PASSWORD = ${JSON.stringify(FIXED_PASSWORD)}
url = os.environ.get("DATABASE_URL", "")
backend = os.environ["COMPAT_BACKEND"]
me = "t_" + os.environ["PROBE_ID"]
if backend == "sqlite":
    import sqlite3
    conn = sqlite3.connect(urllib.parse.urlparse(url).path)
    list_sql = "SELECT name FROM sqlite_master WHERE type='table'"
else:
    if os.environ.get("PROBE_FIXED"):
        host, port, user, pw, db = "127.0.0.1", (5432 if backend == "postgres" else 3306), "legacy", FIXED_PASSWORD, "legacy_test"
    else:
        u = urllib.parse.urlparse(url)
        host, port, user, pw, db = u.hostname, u.port, urllib.parse.unquote(u.username), urllib.parse.unquote(u.password), u.path.lstrip("/")
    if backend == "postgres":
        import psycopg2
        conn = psycopg2.connect(host=host, port=port, user=user, password=pw, dbname=db)
        list_sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    else:
        import pymysql
        conn = pymysql.connect(host=host, port=port, user=user, password=pw, database=db)
        list_sql = "SHOW TABLES"
cur = conn.cursor()
cur.execute("CREATE TABLE " + me + " (id INTEGER)")
conn.commit()
time.sleep(4)
cur.execute(list_sql)
tables = sorted(r[0] for r in cur.fetchall() if r[0] != "seeded")
print("db", url.split("@")[-1], "tables", tables)
ok = tables == [me]
with open(os.path.join(os.environ["COMPAT_RESULTS_DIR"], "junit.xml"), "w") as f:
    body = "" if ok else '<failure message="saw %s" />' % ",".join(tables)
    f.write('<testsuite name="probe"><testcase classname="probe" name="own_tables_only">%s</testcase></testsuite>' % body)
sys.exit(0 if ok else 1)
`;

let stack: Stack;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'lib'), [['v1.0.0', 'ok'], ['v1.1.0', 'ok']]);
  const probe = makeRepo(path.join(dir, 'repos', 'probe'), [{ tag: 'v1', files: { 'probe.py': PROBE } }]);
  const consumer = (name: string, extra = '') => `
      - name: ${name}
        repo: ${probe}
        ref: v1
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: python3 probe.py
        backends: [sqlite, postgres, mysql]
        env: { PROBE_ID: "${name.replace(/-/g, '_')}_\${COMPAT_SIDE}" }
        timeoutSeconds: 120${extra}`;
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 0 }
libraries:
  - name: lib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh }
    consumers:${consumer('probe-a')}${consumer('probe-b')}${consumer(
      'probe-fixed',
      `
        fixedConnection:
          postgres: { database: legacy_test, user: legacy, password: ${JSON.stringify(FIXED_PASSWORD)}, setupSql: "CREATE TABLE seeded (id int)" }
          mysql: { database: legacy_test, user: legacy, password: ${JSON.stringify(FIXED_PASSWORD)}, setupSql: "CREATE TABLE seeded (id int)" }`,
    ).replace('env: { PROBE_ID', 'env: { PROBE_FIXED: "1", PROBE_ID')}
`,
  );
}

beforeAll(async () => {
  stack = await startStack({ matrix, concurrency: 4 });
});

afterAll(async () => {
  await stack?.close();
});

describe('a database of its own per cell', () => {
  it('cells side by side never see each other\'s tables, and every database is dropped afterwards', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'lib', candidate: 'v1.1.0' });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id);
    expect(run.cells).toHaveLength(9);
    for (const cell of run.cells) {
      expect({ cell: cell.id, verdict: cell.verdict, why: cell.candidate.reason ?? cell.baseline.reason, candidate: cell.candidate.tests }).toEqual({
        cell: cell.id,
        verdict: 'pass',
        why: undefined,
        candidate: { passed: 1, failed: 0, skipped: 0 },
      });
    }
    // Same fixed credentials on two sides at once: each reached a server of its own.
    const log = await stack.api('GET', `/api/runs/${run.id}/cells/probe-fixed.mysql/logs?side=candidate`);
    expect(log.body).toContain("tables ['t_probe_fixed_candidate']");

    // The probe printed its database's name; none of them is left on the shared servers.
    const docker = createDocker();
    const used: string[] = [];
    for (const cell of run.cells.filter((c) => c.backend !== 'sqlite' && c.consumer !== 'probe-fixed')) {
      for (const side of ['candidate', 'baseline']) {
        const text = (await stack.api('GET', `/api/runs/${run.id}/cells/${cell.id}/logs?side=${side}`)).body as string;
        used.push(...[...text.matchAll(/db \S+\/(c_[0-9a-f]{12}) tables/g)].map((m) => m[1]));
      }
    }
    expect(new Set(used).size).toBe(8);
    const servers = new DatabaseServers(docker, { network: stack.config.network, hostId: stack.config.hostId });
    const left = [
      ...(await servers.listCellDatabases('postgres', 'compat-postgres:15')),
      ...(await servers.listCellDatabases('mysql', 'compat-mariadb:10.11')),
    ];
    expect(left.filter((name) => used.includes(name))).toEqual([]);
    expect(await containersWith(docker, { [LABEL_KIND]: 'db-dedicated', 'compat.run': run.id })).toEqual([]);
    // Servers for fixed connections are started ahead, one spare per backend; each cell removed the one it
    // took. A leaked server would be a third or fourth one here.
    const dedicated = await containersWith(docker, { [LABEL_KIND]: 'db-dedicated', [LABEL_PREFIX]: stack.config.prefix });
    expect(dedicated.map((c) => c.Labels['compat.run'])).toEqual(dedicated.map(() => SPARE_OWNER));
    expect(dedicated.length).toBeLessThanOrEqual(2);
  });

  it('a worker that stops removes the spare servers nobody took', async () => {
    await stack.worker!.close();
    expect(await containersWith(createDocker(), { [LABEL_KIND]: 'db-dedicated', [LABEL_PREFIX]: stack.config.prefix })).toEqual([]);
  });
});
