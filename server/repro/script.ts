/**
 * The commands that reproduce one side of a cell on a developer's machine, the way the worker runs it:
 * the library artifact built from the exact commit, the consumer at its pinned ref, a database server of
 * its own with the login the worker would set up, the same environment and the same three phases. Built
 * on the server from the modules the worker uses (cell-env, setup-sql, redact); the dashboard only shows
 * it. Values are quoted for POSIX shells; repository URLs lose their credentials.
 */
import { CELL_PATHS, cellEnv, SQLITE_URL } from '../../common/cell-env.js';
import { afterSetupSql, loginSetupSql, loginUrl, type DatabaseLogin, type ServerBackend } from '../../common/databases/setup-sql.js';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import { redactText } from '../../common/redact.js';
import { baselineFlagOf } from '../../common/registry/baseline-ref.js';
import type { CellJson, RunJson, Side } from '../../common/types.js';
import type { ImageRef } from '../../common/matrix/schema.js';

/** A named image as it is; a Dockerfile image as the build that makes it (docker prints the image id). */
function imageArg(image: ImageRef): string {
  return typeof image === 'string' ? shellQuote(image) : `"$(docker build -q -f ${shellQuote(image.dockerfile)} ${shellQuote(image.context)})"`;
}

/** What a run recorded of how its library is built, and the database images it used. */
export interface ReproInput {
  run: Omit<RunJson, 'cells'>;
  cell: CellJson;
  config: ResolvedConsumer;
  library: { repo: string; image: ImageRef; command: string } | null;
  databaseImage: string | null;
  /** The registry's file the baseline is, when it is one (`registry:`): downloaded, not built. */
  baselineFile?: { url: string; filename: string } | null;
}

/**
 * POSIX quoting that reads naturally: bare words stay bare, text with a single quote but nothing a
 * double-quoted string expands goes in double quotes, everything else in single quotes.
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  if (value.includes("'") && !/[$`\\"!]/.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function compatRunCommand({ run, cell }: Pick<ReproInput, 'run' | 'cell'>): string {
  return [
    'compat run',
    `--library ${shellQuote(run.library)}`,
    `--candidate ${shellQuote(run.candidate)}`,
    // A tag is named; so is a published version asked for by name. The default registry baseline is
    // what the default picks again.
    ...(cell.baseline.source !== 'registry'
      ? [`--baseline ${shellQuote(run.baseline)}`]
      : run.ownBaseline === false && cell.baseline.registry && cell.baseline.package && cell.baseline.version
        ? [`--baseline ${shellQuote(baselineFlagOf({ registry: cell.baseline.registry, name: cell.baseline.package, published: cell.baseline.version }))}`]
        : []),
    `--consumer ${shellQuote(cell.consumer)}`,
    `--backend ${cell.backend}`,
    '--wait',
  ].join(' ');
}

const DB_CONTAINER = 'compat-repro-db';
const ROOT_PASSWORD = 'compat';
/** The login a cell without `fixedConnection` gets in the script (the worker's are generated per cell). */
const DEFAULT_LOGIN: DatabaseLogin = { database: 'compat', user: 'compat', password: 'compat' };
const DEFAULT_IMAGES: Record<ServerBackend, string> = { postgres: 'postgres:15', mysql: 'mariadb:10.11' };

/** The superuser's SQL client inside the database container, as the worker's (one -c per statement on PostgreSQL). */
function sqlIn(backend: ServerBackend, statements: string[], database?: string): string {
  const q = shellQuote;
  return backend === 'postgres'
    ? `docker exec -e PGPASSWORD=${ROOT_PASSWORD} ${DB_CONTAINER} psql -h 127.0.0.1 -U postgres -d ${database ?? 'postgres'} -v ON_ERROR_STOP=1 ${statements.map((s) => `-c ${q(s)}`).join(' ')}`
    : `docker exec -e MYSQL_PWD=${ROOT_PASSWORD} ${DB_CONTAINER} mariadb -h 127.0.0.1 -uroot${database ? ` -D ${database}` : ''} -e ${q(statements.join(' '))}`;
}

export function dockerScript(input: ReproInput, side: Side): string {
  const { run, cell, config, library } = input;
  const ref = side === 'candidate' ? run.candidate : run.baseline;
  // Empty only for a registry baseline, which is downloaded below, never checked out.
  const sha = (side === 'candidate' ? run.candidateSha : run.baselineSha) ?? '';
  const version = side === 'candidate' ? run.candidateVersion : run.baselineVersion;
  const q = shellQuote;
  const lines: string[] = ['set -e', 'mkdir -p compat-repro && cd compat-repro', ''];

  const published = side === 'baseline' ? input.baselineFile : null;
  if (published) {
    lines.push(
      `# 1. The ${side} artifact: ${ref}, the registry's own file${cell.baseline.integrity ? ` (integrity ${cell.baseline.integrity})` : ''}`,
      'mkdir -p artifact',
      `curl -fsSL -o ${q(`artifact/${published.filename}`)} ${q(published.url)}`,
    );
  } else if (library) {
    lines.push(
      `# 1. Build the ${side} artifact: ${run.library} ${ref} (${sha.slice(0, 12)})`,
      `git clone ${q(redactText(library.repo))} library && git -C library checkout --quiet ${q(sha)}`,
      'mkdir -p artifact',
      [
        'docker run --rm -w /workspace',
        `-v "$PWD/library:/workspace" -v "$PWD/artifact:${CELL_PATHS.artifact}"`,
        `-e COMPAT_ARTIFACT_DIR=${CELL_PATHS.artifact} -e COMPAT_LIBRARY=${q(run.library)} -e COMPAT_LIBRARY_VERSION=${q(version)} -e COMPAT_SIDE=${side}`,
        `${imageArg(library.image)} sh -c ${q(library.command)}`,
      ].join(' \\\n  '),
    );
  } else {
    lines.push(`# 1. Build the ${side} artifact: ${run.library} ${ref} (${sha.slice(0, 12)})`);
    lines.push(`# (this run does not record how its library was built; build ${run.library} at ${sha} into ./artifact)`);
  }

  lines.push('', `# 2. The consumer at its pinned ref`, `git clone ${q(redactText(config.repo))} consumer && git -C consumer checkout --quiet ${q(config.ref)}`, 'mkdir -p results db');

  let databaseUrl = SQLITE_URL;
  let network = '';
  if (cell.backend !== 'sqlite') {
    const backend = cell.backend;
    const image = input.databaseImage ?? DEFAULT_IMAGES[backend];
    const fixed = config.fixedConnection?.[backend];
    const login = fixed ?? DEFAULT_LOGIN;
    const pg = backend === 'postgres';
    lines.push(
      '',
      `# 3. A ${backend} server of its own; the suite reaches it on 127.0.0.1 by sharing its network`,
      `docker rm -f ${DB_CONTAINER} >/dev/null 2>&1 || true`,
      pg
        ? `docker run -d --name ${DB_CONTAINER} -e POSTGRES_PASSWORD=${ROOT_PASSWORD} -e POSTGRES_USER=postgres ${q(image)}`
        : `docker run -d --name ${DB_CONTAINER} -e MARIADB_ROOT_PASSWORD=${ROOT_PASSWORD} -e MYSQL_ROOT_PASSWORD=${ROOT_PASSWORD} ${q(image)}`,
      `until ${sqlIn(backend, ['SELECT 1'])} >/dev/null 2>&1; do sleep 1; done`,
      sqlIn(backend, loginSetupSql(backend, login)),
    );
    if (fixed?.setupSql) {
      lines.push(sqlIn(backend, [fixed.setupSql], login.database));
      const grants = afterSetupSql(backend, login);
      if (grants.length) lines.push(sqlIn(backend, grants, login.database));
    }
    databaseUrl = loginUrl(backend, login);
    network = `--network container:${DB_CONTAINER}`;
  }

  // The consumer's env templates lose any URL credentials before templating: the database login
  // substituted into them is the script's own and stays.
  const templates = Object.fromEntries(Object.entries(config.env ?? {}).map(([k, v]) => [k, redactText(v)]));
  const env = cellEnv({ databaseUrl, backend: cell.backend, library: run.library, version, side, attempt: 0, consumer: { ...config, env: templates } });
  const resources = config.resources;
  const runLine = [
    `docker run --rm -w /workspace${network ? ` ${network}` : ''}`,
    ...(resources ? [`--memory ${resources.memoryMb}m --cpus ${resources.cpus} --pids-limit ${resources.pids}`] : []),
    `-v "$PWD/consumer:/workspace" -v "$PWD/artifact:${CELL_PATHS.artifact}:ro" -v "$PWD/results:${CELL_PATHS.results}" -v "$PWD/db:${CELL_PATHS.db}"`,
    ...Object.entries(env).map(([k, v]) => `-e ${k}=${q(v)}`),
    // Secrets are not stored with the run: docker passes them on from your own environment.
    ...(config.secretEnv ?? []).map((k) => `-e ${k}`),
    `${imageArg(config.image)} sh -c ${q('sh -c "$COMPAT_CMD_INSTALL" && sh -c "$COMPAT_CMD_INSTALL_CANDIDATE" && exec sh -c "$COMPAT_CMD_TEST"')}`,
  ].join(' \\\n  ');
  lines.push('', `# ${cell.backend === 'sqlite' ? 3 : 4}. The suite, as the worker runs it (JUnit XML lands in ./results)`, runLine);
  if (network) lines.push(`# Afterwards: docker rm -f ${DB_CONTAINER}`);
  return lines.join('\n');
}
