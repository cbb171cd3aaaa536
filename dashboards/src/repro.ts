/**
 * The commands that reproduce one side of a cell on a developer's machine, the way the worker runs it:
 * the library artifact built from the exact commit, the consumer at its pinned ref, a database of its
 * own, the same environment and the same three phases. Values are single-quoted for POSIX shells.
 */
import { fixedConnectionSetup } from '../../common/databases/sql.js';
import type { Side } from '../../common/types.js';
import type { CellDetailJson } from './api.js';

/**
 * POSIX quoting that reads naturally: bare words stay bare, text with a single quote but nothing a
 * double-quoted string expands goes in double quotes, everything else in single quotes.
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  if (value.includes("'") && !/[$`\\"!]/.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function withoutCredentials(repo: string): string {
  return repo.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/** Same templating as the worker: `${VAR}` from the contract's variables. */
function templateEnv(templates: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(templates)) out[name] = template.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_m, v: string) => vars[v] ?? '');
  return out;
}

export function compatRunCommand(detail: CellDetailJson): string {
  const { run, cell } = detail;
  return [
    'compat run',
    `--library ${shellQuote(run.library)}`,
    `--candidate ${shellQuote(run.candidate)}`,
    `--baseline ${shellQuote(run.baseline)}`,
    `--consumer ${shellQuote(cell.consumer)}`,
    `--backend ${cell.backend}`,
    '--wait',
  ].join(' ');
}

const DB_CONTAINER = 'compat-repro-db';
const ROOT_PASSWORD = 'compat';

export function dockerScript(detail: CellDetailJson, side: Side): string {
  const { run, cell, config, reproduce } = detail;
  const ref = side === 'candidate' ? run.candidate : run.baseline;
  const sha = side === 'candidate' ? run.candidateSha : run.baselineSha;
  const version = side === 'candidate' ? run.candidateVersion : run.baselineVersion;
  const q = shellQuote;
  const lines: string[] = ['set -e', 'mkdir -p compat-repro && cd compat-repro', ''];

  lines.push(`# 1. Build the ${side} artifact: ${run.library} ${ref} (${sha.slice(0, 12)})`);
  if (reproduce.library) {
    lines.push(
      `git clone ${q(reproduce.library.repo)} library && git -C library checkout --quiet ${q(sha)}`,
      'mkdir -p artifact',
      [
        'docker run --rm -w /workspace',
        '-v "$PWD/library:/workspace" -v "$PWD/artifact:/compat/artifact"',
        `-e COMPAT_ARTIFACT_DIR=/compat/artifact -e COMPAT_LIBRARY=${q(run.library)} -e COMPAT_LIBRARY_VERSION=${q(version)} -e COMPAT_SIDE=${side}`,
        `${q(reproduce.library.image)} sh -c ${q(reproduce.library.command)}`,
      ].join(' \\\n  '),
    );
  } else {
    lines.push(`# (this run does not record how its library was built; build ${run.library} at ${sha} into ./artifact)`);
  }

  lines.push('', `# 2. The consumer at its pinned ref`, `git clone ${q(withoutCredentials(config.repo))} consumer && git -C consumer checkout --quiet ${q(config.ref)}`, 'mkdir -p results db');

  let databaseUrl = 'sqlite:///compat/db/test.sqlite';
  let network = '';
  if (cell.backend !== 'sqlite') {
    const image = reproduce.databaseImage ?? (cell.backend === 'postgres' ? 'postgres:15' : 'mariadb:10.11');
    const fixed = config.fixedConnection?.[cell.backend];
    const pg = cell.backend === 'postgres';
    // psql runs one -c as one transaction, and CREATE DATABASE refuses to run inside one: a -c per statement.
    const sqlIn = (sql: string | string[], db?: string) =>
      pg
        ? `docker exec -e PGPASSWORD=${ROOT_PASSWORD} ${DB_CONTAINER} psql -h 127.0.0.1 -U postgres -d ${db ?? 'postgres'} -v ON_ERROR_STOP=1 ${[sql].flat().map((s) => `-c ${q(s)}`).join(' ')}`
        : `docker exec -e MYSQL_PWD=${ROOT_PASSWORD} ${DB_CONTAINER} mariadb -h 127.0.0.1 -uroot${db ? ` -D ${db}` : ''} -e ${q([sql].flat().join(' '))}`;
    const database = fixed?.database ?? 'compat';
    const user = fixed?.user ?? 'compat';
    const password = fixed?.password ?? 'compat';
    const create = fixedConnectionSetup(cell.backend, { database, user, password });
    lines.push(
      '',
      `# 3. A ${cell.backend} server of its own; the suite reaches it on 127.0.0.1 by sharing its network`,
      `docker rm -f ${DB_CONTAINER} >/dev/null 2>&1 || true`,
      pg
        ? `docker run -d --name ${DB_CONTAINER} -e POSTGRES_PASSWORD=${ROOT_PASSWORD} -e POSTGRES_USER=postgres ${q(image)}`
        : `docker run -d --name ${DB_CONTAINER} -e MARIADB_ROOT_PASSWORD=${ROOT_PASSWORD} -e MYSQL_ROOT_PASSWORD=${ROOT_PASSWORD} ${q(image)}`,
      `until ${sqlIn('SELECT 1')} >/dev/null 2>&1; do sleep 1; done`,
      sqlIn(create),
    );
    if (fixed?.setupSql) lines.push(sqlIn(fixed.setupSql, database));
    const scheme = pg ? 'postgresql' : 'mysql';
    databaseUrl = `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${pg ? 5432 : 3306}/${database}`;
    network = `--network container:${DB_CONTAINER}`;
  }

  const contractEnv: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    COMPAT_BACKEND: cell.backend,
    COMPAT_LIBRARY: run.library,
    COMPAT_LIBRARY_VERSION: version,
    COMPAT_SIDE: side,
    COMPAT_RESULTS_DIR: '/compat/results',
    COMPAT_ARTIFACT_DIR: '/compat/artifact',
  };
  const env: Record<string, string> = {
    ...contractEnv,
    ...templateEnv(config.env ?? {}, contractEnv),
    COMPAT_ATTEMPT: '0',
    COMPAT_CMD_INSTALL: config.install ?? '',
    COMPAT_CMD_INSTALL_CANDIDATE: config.installCandidate,
    COMPAT_CMD_TEST: config.test,
  };
  const resources = config.resources;
  const runLine = [
    `docker run --rm -w /workspace${network ? ` ${network}` : ''}`,
    ...(resources ? [`--memory ${resources.memoryMb}m --cpus ${resources.cpus} --pids-limit ${resources.pids}`] : []),
    '-v "$PWD/consumer:/workspace" -v "$PWD/artifact:/compat/artifact:ro" -v "$PWD/results:/compat/results" -v "$PWD/db:/compat/db"',
    ...Object.entries(env).map(([k, v]) => `-e ${k}=${q(v)}`),
    // Secrets are not stored with the run: docker passes them on from your own environment.
    ...(config.secretEnv ?? []).map((k) => `-e ${k}`),
    `${q(config.image)} sh -c ${q('sh -c "$COMPAT_CMD_INSTALL" && sh -c "$COMPAT_CMD_INSTALL_CANDIDATE" && exec sh -c "$COMPAT_CMD_TEST"')}`,
  ].join(' \\\n  ');
  lines.push('', `# ${cell.backend === 'sqlite' ? 3 : 4}. The suite, as the worker runs it (JUnit XML lands in ./results)`, runLine);
  if (network) lines.push(`# Afterwards: docker rm -f ${DB_CONTAINER}`);
  return lines.join('\n');
}
