import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { CellJob } from '../../common/queue/jobs.js';
import { InfraError } from '../ports.js';
import { fakePorts, logText, type FakePorts, type FakeSuite } from './fake-ports.test-helper.js';
import { EXIT_MARKER, PHASE_MARKER } from './phases.js';
import { runCellSide } from './run-cell.js';
import { schemaReader } from '../schema/read.js';

let ports: FakePorts;

beforeEach(() => {
  ports = fakePorts({ secrets: { app: { API_KEY: 'api-key-0123456789' } } });
  ports.repos.set('/repos/app', { refs: { v1: 'a'.repeat(40) }, files: { ['a'.repeat(40)]: { 'run.sh': 'echo hi\n' } } });
  ports.artifactStore.set('lib-abc', new Map([['behaviour.txt', Buffer.from('ok\n')]]));
});

afterEach(() => rmSync(ports.config.dataDir, { recursive: true, force: true }));

function job(overrides: Partial<CellJob> = {}, consumer: Partial<CellJob['consumer']> = {}): CellJob {
  return {
    kind: 'cell',
    runId: 'run1',
    cellId: 'app.sqlite',
    side: 'candidate',
    attempt: 0,
    library: 'lib',
    version: '1.1.0',
    artifactKey: 'lib-abc',
    backend: 'sqlite',
    databaseImage: 'compat-postgres:15',
    consumer: {
      name: 'app',
      repo: '/repos/app',
      ref: 'v1',
      image: 'compat-runner:bookworm',
      installCandidate: 'pip install "$COMPAT_ARTIFACT_DIR"/*',
      test: 'sh run.sh',
      backends: ['sqlite'],
      env: { DB: '${DATABASE_URL}' },
      secretEnv: ['API_KEY', 'PATH'],
      timeoutSeconds: 30,
      resources: { memoryMb: 256, cpus: 0.5, pids: 64, diskMb: 100 },
      ...consumer,
    },
    ...overrides,
  } as CellJob;
}

/** A suite that goes through the phases, writes `junit` and exits with `status` from its test command. */
function suite(options: { junit?: string; status?: number; upTo?: 'install' | 'install-candidate'; print?: string[] } = {}): FakeSuite {
  return ({ print, hostPath }) => {
    print(`${PHASE_MARKER}install\n`);
    if (options.upTo === 'install') return { exitCode: 201 };
    print(`${PHASE_MARKER}install-candidate\n`);
    if (options.upTo === 'install-candidate') return { exitCode: 202 };
    print(`${PHASE_MARKER}test\n`);
    for (const text of options.print ?? []) print(text);
    if (options.junit) writeFileSync(hostPath('/compat/results/junit.xml'), options.junit);
    const status = options.status ?? 0;
    print(`${EXIT_MARKER}${status}\n`);
    return { exitCode: status };
  };
}

const JUNIT = (failing = false) =>
  `<testsuite name="s"><testcase classname="s" name="a"/><testcase classname="s" name="b">${failing ? '<failure message="api-key-0123456789 broke">x</failure>' : ''}</testcase></testsuite>`;

describe('runCellSide', () => {
  it('runs the suite in a limited container with the contract env and its own secrets only, and reads its JUnit', async () => {
    ports.suites = [suite({ junit: JUNIT() })];
    const result = await runCellSide(job(), ports);
    expect(result).toMatchObject({ status: 'passed', tests: [{ id: 's::a', status: 'passed' }, { id: 's::b', status: 'passed' }], exitCode: 0 });
    expect(result.overheadMs).not.toBeNull();
    const spec = ports.runs[0];
    expect(spec.limits).toEqual({ memoryMb: 256, cpus: 0.5, pids: 64, diskMb: 100 });
    expect(spec.disk?.limitMb).toBe(100);
    expect(spec.timeoutMs).toBe(30_000);
    expect(spec.user).toBe('1000:1000');
    expect(spec.cmd.slice(0, 2)).toEqual(['sh', '-c']);
    expect(spec.labels).toMatchObject({ 'compat.kind': 'cell', 'compat.worker': 'worker-unit', 'compat.run': 'run1', 'compat.cell': 'app.sqlite', 'compat.prefix': 'unit' });
    expect(spec.env).toMatchObject({ DATABASE_URL: 'sqlite:///compat/db/test.sqlite', DB: 'sqlite:///compat/db/test.sqlite', COMPAT_SIDE: 'candidate', API_KEY: 'api-key-0123456789', COMPAT_CMD_TEST: 'sh run.sh' });
    // PATH is in the worker's environment and named by secretEnv: still not passed.
    expect(spec.env.PATH).toBeUndefined();
    expect(spec.binds.some((b) => b.endsWith(':/compat/artifact:ro'))).toBe(true);
    // The workspace is gone afterwards, and the log ended.
    const workspace = spec.binds.find((b) => b.endsWith(':/workspace:rw'))!.split(':')[0];
    expect(existsSync(workspace)).toBe(false);
    expect([...ports.endedLogs]).toHaveLength(1);
    expect(logText(ports, 'app.sqlite:candidate:0')).toContain('app at v1 (aaaaaaaaaaaa), lib 1.1.0 (candidate), backend sqlite');
  });

  it('masks secrets in the log, split across chunks, and in test results', async () => {
    ports.suites = [suite({ junit: JUNIT(true), status: 1, print: ['key=api-key-01', '23456789\n', 'err: api-key-0123456789\n'] })];
    const result = await runCellSide(job(), ports);
    expect(result).toMatchObject({ status: 'failed', reason: 'test command exited with 1' });
    expect(result.tests.find((t) => t.id === 's::b')?.message).toContain('*** broke');
    const log = logText(ports, 'app.sqlite');
    expect(log).toContain('key=***\n');
    expect(log).not.toContain('api-key-01');
  });

  it('an install step that fails is infrastructure (retried), the candidate\'s install a test failure', async () => {
    ports.suites = [suite({ upTo: 'install' })];
    await expect(runCellSide(job(), ports)).rejects.toThrow(new InfraError('install step failed (exit 201)'));
    ports.suites = [suite({ upTo: 'install-candidate' })];
    expect(await runCellSide(job(), ports)).toMatchObject({ status: 'failed', reason: 'installing the candidate artifact failed (exit 202)' });
  });

  it('a timeout, a memory kill and a container stopped from outside', async () => {
    ports.suites = [({ print }) => (print(`${PHASE_MARKER}test\n`), { exitCode: 137, timedOut: true })];
    expect(await runCellSide(job(), ports)).toMatchObject({ status: 'timeout', reason: 'timed out after 30 s' });
    expect(logText(ports, ':0')).toContain('killed after the 30 s timeout');

    ports.logs.clear();
    ports.suites = [({ print }) => (print(`${PHASE_MARKER}test\n`), { exitCode: 137, oomKilled: true })];
    expect(await runCellSide(job(), ports)).toMatchObject({ status: 'failed', reason: 'ran out of memory (limit 256 MB)' });

    ports.suites = [({ print }) => (print(`${PHASE_MARKER}test\n`), { exitCode: 137 })];
    const error = await runCellSide(job(), ports).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as InfraError).message).toMatch(/stopped from outside \(exit 137\)/);
  });

  it('a missing image or ref is final; a fetch that fails is retried', async () => {
    const missing = await runCellSide(job({}, { image: 'nope:1' }), ports).catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: 'InfraError', retryable: false, message: expect.stringContaining('image nope:1 is missing') });
    const badRef = await runCellSide(job({}, { ref: 'v9' }), ports).catch((e: unknown) => e);
    expect(badRef).toMatchObject({ name: 'InfraError', retryable: false, message: 'ref "v9" does not exist in /repos/app' });
    ports.repos.get('/repos/app')!.files = {};
    const fetch = await runCellSide(job(), ports).catch((e: unknown) => e);
    expect(fetch).toMatchObject({ name: 'InfraError', retryable: true });
    expect(ports.runs).toHaveLength(0);
  });

  it('a shared-server database is registered, passed as DATABASE_URL, dropped and unregistered', async () => {
    ports.suites = [suite({ junit: JUNIT() })];
    await runCellSide(job({ backend: 'postgres', cellId: 'app.postgres' }), ports);
    expect(ports.runs[0].env.DATABASE_URL).toBe('postgresql://c_000000000001:pw@db:5432/c_000000000001');
    expect(ports.dropped).toEqual(['c_000000000001']);
    expect(ports.registered.size).toBe(0);

    // A drop that fails leaves it registered, for the janitor.
    ports.failNextDrop = true;
    await runCellSide(job({ backend: 'postgres', cellId: 'app.postgres' }), ports);
    expect([...ports.registered.keys()]).toEqual(['c_000000000002']);
    expect(ports.released).toEqual(['c_000000000002']);
  });

  it('a fixed connection runs the suite in the dedicated server\'s network', async () => {
    ports.suites = [suite({ junit: JUNIT() })];
    const fixed = { postgres: { database: 'legacy', user: 'legacy', password: 'pw' } };
    await runCellSide(job({ backend: 'postgres', cellId: 'app.postgres' }, { fixedConnection: fixed }), ports);
    expect(ports.runs[0].networkMode).toBe('container:dedicated');
    expect(ports.dropped).toEqual(['legacy']);
    expect(ports.registered.size).toBe(0);
  });

  it('an artifact gone from the store is final', async () => {
    ports.artifactStore.clear();
    await expect(runCellSide(job(), ports)).rejects.toMatchObject({ name: 'InfraError', retryable: false, message: 'artifact lib-abc is no longer in Redis' });
  });

  it('with a runner preset, a re-run runs `test` with the ids in the preset\'s file; a `rerun` command still wins', async () => {
    const ids = ['s::b'];
    let selected: unknown = null;
    ports.suites = [
      (ctx) => {
        selected = JSON.parse(readFileSync(ctx.hostPath('/compat/rerun/preset/select.json'), 'utf8'));
        return suite({ junit: '<testsuite name="s"><testcase classname="s" name="b"/></testsuite>' })(ctx);
      },
    ];
    await runCellSide(job({ attempt: 1, rerunTests: ids }, { runner: 'pytest', env: { PYTEST_ADDOPTS: '-x' } }), ports);
    expect(ports.runs.at(-1)!.env.COMPAT_CMD_TEST).toBe('sh run.sh');
    expect(ports.runs.at(-1)!.env.PYTEST_ADDOPTS).toBe('-p compat_preset_pytest -x');
    expect(selected).toEqual({ ids, files: null });
    expect(ports.runs.filter((r) => r.env.COMPAT_CMD_TEST)).toHaveLength(1);

    // A hand-written rerun selects: the preset only writes JUnit, and selects nothing.
    await runCellSide(job({ attempt: 1, rerunTests: ids }, { runner: 'pytest', rerun: 'sh rerun.sh' }), ports);
    expect(ports.runs.at(-1)!.env.COMPAT_CMD_TEST).toBe('sh rerun.sh');
    expect(selected).toEqual({ ids: null, files: null });
  });
});

describe('runCellSide with schema:', () => {
  /** Migrations as a consumer's migrate would run them: the SQLite file, then the script waits for the worker's read. */
  function migratingSuite(options: { ddl: string; migrateFails?: boolean; seen?: string[] }): FakeSuite {
    return async ({ print, hostPath, spec }) => {
      print(`${PHASE_MARKER}install\n${PHASE_MARKER}install-candidate\n${PHASE_MARKER}migrate\n`);
      writeFileSync(hostPath('/compat/schema/ddl.sql'), options.ddl);
      if (options.migrateFails) {
        print('alembic: UniqueViolation\n');
        return { exitCode: 203 };
      }
      execFileSync('sqlite3', [hostPath('/compat/db/test.sqlite')], { input: options.ddl });
      print(`${PHASE_MARKER}schema\n`);
      // As the phase script does: the tests wait until the worker has read the schema.
      for (let i = 0; i < 100 && !existsSync(hostPath('/compat/schema/read')); i++) await new Promise((r) => setTimeout(r, 20));
      options.seen?.push(existsSync(hostPath('/compat/schema/read')) ? 'read before test' : 'test before read');
      print(`${PHASE_MARKER}test\n`);
      if (spec.env.COMPAT_CMD_TEST) writeFileSync(hostPath('/compat/results/junit.xml'), JUNIT());
      print(`${EXIT_MARKER}0\n`);
      return { exitCode: 0 };
    };
  }

  it('runs migrate before the tests, reads the schema in between and sends it with the side, with its sql: output', async () => {
    ports.readSchema = schemaReader(null as never);
    const seen: string[] = [];
    ports.suites = [migratingSuite({ ddl: 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);', seen })];
    const result = await runCellSide(job({}, { schema: { migrate: 'alembic upgrade head', sql: 'alembic upgrade head --sql' } }), ports);
    expect(seen).toEqual(['read before test']);
    expect(result.status).toBe('passed');
    expect(Object.keys(result.schema!.document.objects)).toContain('table users / unique (email)');
    expect(result.schema!.ddl).toBe('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);');
    expect(result.phases).toHaveProperty('schema');
    expect(ports.runs[0].env).toMatchObject({ COMPAT_CMD_MIGRATE: 'alembic upgrade head', COMPAT_CMD_SQL: 'alembic upgrade head --sql' });
    expect(ports.runs[0].binds.some((b) => b.endsWith(':/compat/schema:rw'))).toBe(true);
  });

  it('passes a consumer without test: on its schema alone, and fails a migrate that failed, with its output', async () => {
    ports.readSchema = schemaReader(null as never);
    ports.suites = [migratingSuite({ ddl: 'CREATE TABLE t (id INTEGER);' })];
    const noTest = await runCellSide(job({}, { test: undefined, schema: { migrate: 'knex migrate:latest' } }), ports);
    expect(noTest).toMatchObject({ status: 'passed', tests: [] });
    expect(noTest.schema!.document.objects).toHaveProperty(['table t / column id']);
    ports.suites = [migratingSuite({ ddl: 'x', migrateFails: true })];
    const failed = await runCellSide(job({}, { schema: { migrate: 'alembic upgrade head' } }), ports);
    expect(failed).toMatchObject({ status: 'failed', reason: 'migrate failed (exit 203): alembic: UniqueViolation' });
    expect(failed.schema).toBeUndefined();
  });

  it('with downgrade:, runs migrate, downgrade, migrate and sends what the round trip changed', async () => {
    ports.readSchema = schemaReader(null as never);
    const ddl = 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);';
    ports.suites = [
      async ({ print, hostPath }) => {
        const wait = async (file: string) => {
          for (let i = 0; i < 100 && !existsSync(hostPath(file)); i++) await new Promise((r) => setTimeout(r, 20));
        };
        const db = hostPath('/compat/db/test.sqlite');
        print(`${PHASE_MARKER}install\n${PHASE_MARKER}install-candidate\n${PHASE_MARKER}migrate\n`);
        execFileSync('sqlite3', [db], { input: ddl });
        print(`${PHASE_MARKER}schema\n`);
        await wait('/compat/schema/read');
        // A downgrade that leaves the table behind, and a migrate that then recreates it without its unique flag.
        print(`${PHASE_MARKER}downgrade\n`);
        execFileSync('sqlite3', [db], { input: 'DROP TABLE users; CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);' });
        print(`${PHASE_MARKER}schema-again\n`);
        await wait('/compat/schema/read-again');
        print(`${PHASE_MARKER}test\n${EXIT_MARKER}0\n`);
        return { exitCode: 0 };
      },
    ];
    const result = await runCellSide(job({}, { test: undefined, schema: { migrate: 'alembic upgrade head', downgrade: 'alembic downgrade base' } }), ports);
    expect(ports.runs[0].env).toMatchObject({ COMPAT_CMD_DOWNGRADE: 'alembic downgrade base' });
    expect(result.status).toBe('passed');
    expect(Object.keys(result.schema!.document.objects)).toContain('table users / unique (email)');
    expect(result.schema!.roundTrip!.map((c) => [c.object, c.change])).toEqual([['table users / unique (email)', 'removed']]);
  });
});
