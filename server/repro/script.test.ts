import { describe, expect, it } from 'vitest';
import { cellEnv } from '../../common/cell-env.js';
import { afterSetupSql, loginSetupSql } from '../../common/databases/setup-sql.js';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import type { CellJson, RunJson } from '../../common/types.js';
import { compatRunCommand, dockerScript, shellQuote, type ReproInput } from './script.js';

const run: Omit<RunJson, 'cells'> = {
  id: 'r1',
  library: 'quarry',
  candidate: 'v1.1.0',
  baseline: 'v1.0.0',
  candidateVersion: '1.1.0',
  baselineVersion: '1.0.0',
  candidateSha: 'a'.repeat(40),
  baselineSha: 'b'.repeat(40),
  status: 'done',
  verdict: 'blocked',
  trigger: 'api',
  createdAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:01:00Z',
};
const side = { status: 'failed' as const, source: 'tag' as const, durationMs: 1, tests: { passed: 1, failed: 1, skipped: 0 } };
const cell: CellJson = { id: 'legacy.postgres', consumer: 'legacy', backend: 'postgres', verdict: 'regression', candidate: side, baseline: side, newFailures: [], fixedTests: [], attempts: 3 };
const fixed = { database: 'legacy_test', user: 'legacy', password: "it's-fixed", setupSql: 'CREATE EXTENSION IF NOT EXISTS pgcrypto' };
const config = {
  name: 'legacy',
  repo: 'https://ci:s3cret@git.example.org/acme/legacy.git',
  ref: 'v2',
  image: 'compat-runner:bookworm',
  install: 'pip install -r requirements.txt',
  installCandidate: 'pip install "$COMPAT_ARTIFACT_DIR"/*.whl',
  test: 'pytest',
  backends: ['postgres'],
  env: { SQLALCHEMY_URL: '${DATABASE_URL}', INDEX_URL: 'https://pypi:s3cret@pypi.example.org/simple' },
  secretEnv: ['API_KEY'],
  timeoutSeconds: 600,
  resources: { memoryMb: 1024, cpus: 1, pids: 512 },
  fixedConnection: { postgres: fixed },
} as unknown as ResolvedConsumer;
const input: ReproInput = {
  run,
  cell,
  config,
  library: { repo: 'https://ci:s3cret@git.example.org/acme/quarry.git', image: 'compat-runner:bookworm', command: 'sh build.sh' },
  databaseImage: 'postgres:15',
};

describe('the reproduce script', () => {
  const script = dockerScript(input, 'candidate');

  it('sets up the database with the SQL the worker runs, setup grants included', () => {
    for (const statement of [...loginSetupSql('postgres', fixed), ...afterSetupSql('postgres', fixed)]) expect(script).toContain(`-c ${shellQuote(statement)}`);
    expect(script).toContain(`-d legacy_test -v ON_ERROR_STOP=1 -c ${shellQuote(fixed.setupSql)}`);
    // The grants come after the consumer's own setup, as on the worker.
    expect(script.indexOf('GRANT ALL ON ALL TABLES')).toBeGreaterThan(script.indexOf('pgcrypto'));
  });

  it('passes the environment the worker passes, templated the same way', () => {
    const url = "postgresql://legacy:it's-fixed@127.0.0.1:5432/legacy_test";
    const expected = cellEnv({ databaseUrl: url, backend: 'postgres', library: 'quarry', version: '1.1.0', side: 'candidate', attempt: 0, consumer: { ...config, env: { ...config.env, INDEX_URL: 'https://pypi.example.org/simple' } } });
    expect(expected.SQLALCHEMY_URL).toBe(url);
    for (const [name, value] of Object.entries(expected)) expect(script).toContain(`-e ${name}=${shellQuote(value)}`);
    expect(script).toContain('-e API_KEY \\');
  });

  it('shows repositories and env values without credentials, and keeps the database login it made', () => {
    expect(script).not.toContain('s3cret');
    expect(script).toContain('git clone https://git.example.org/acme/quarry.git library');
    expect(script).toContain('git clone https://git.example.org/acme/legacy.git consumer');
    expect(script).toContain("-e DATABASE_URL=\"postgresql://legacy:it's-fixed@127.0.0.1:5432/legacy_test\"");
  });

  it('gives a sqlite cell no database server', () => {
    const sqlite = dockerScript({ ...input, cell: { ...cell, id: 'legacy.sqlite', backend: 'sqlite' }, databaseImage: null }, 'baseline');
    expect(sqlite).not.toContain('compat-repro-db');
    expect(sqlite).toContain('-e DATABASE_URL=sqlite:///compat/db/test.sqlite');
    expect(sqlite).toContain('-e COMPAT_SIDE=baseline');
  });
});

describe('the reproduce script of a real library', () => {
  it('downloads a registry baseline instead of building it, and leaves the default to pick it again', () => {
    const registryCell: CellJson = { ...cell, baseline: { ...side, source: 'registry' } };
    const published = { url: 'https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz', filename: 'is-number-7.0.0.tgz' };
    const baseline = dockerScript({ ...input, cell: registryCell, baselineFile: published }, 'baseline');
    expect(baseline).toContain(`curl -fsSL -o artifact/is-number-7.0.0.tgz ${published.url}`);
    expect(baseline).not.toContain('git -C library checkout');
    expect(dockerScript({ ...input, cell: registryCell, baselineFile: published }, 'candidate')).toContain('git -C library checkout');
    expect(compatRunCommand({ run, cell: registryCell })).not.toContain('--baseline');
    expect(compatRunCommand({ run, cell })).toContain('--baseline');
  });

  it('names a published version asked for by name, with its integrity, and never checks out a commit for it', () => {
    const named = { registry: 'pypi' as const, package: 'tinypy', version: '1.1.0', integrity: 'sha256-q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=' };
    const registryCell: CellJson = { ...cell, baseline: { ...side, source: 'registry', ...named } };
    const registryRun = { ...run, baseline: 'pypi:tinypy@1.1.0', baselineSha: null, baselineRegistry: named, ownBaseline: false };
    expect(compatRunCommand({ run: registryRun, cell: registryCell })).toContain('--baseline pypi:tinypy==1.1.0');
    const published = { url: 'http://pypi.example/files/tinypy-1.1.0-py3-none-any.whl', filename: 'tinypy-1.1.0-py3-none-any.whl' };
    const script = dockerScript({ ...input, run: registryRun, cell: registryCell, baselineFile: published }, 'baseline');
    expect(script).toContain(`(integrity ${named.integrity})`);
    expect(script).not.toContain('git -C library checkout');
    expect(compatRunCommand({ run: { ...registryRun, ownBaseline: true }, cell: registryCell })).not.toContain('--baseline');
  });

  it('builds a Dockerfile image where the worker would', () => {
    const script = dockerScript({ ...input, config: { ...config, image: { dockerfile: '/srv/images/app/Dockerfile', context: '/srv/images/app' } } }, 'candidate');
    expect(script).toContain(`"$(docker build -q -f /srv/images/app/Dockerfile /srv/images/app)" sh -c`);
  });
});
