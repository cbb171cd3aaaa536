/**
 * Images compat-matrix can build offline from Debian bookworm packages when no registry answers.
 * A recipe is data: packages, a script run as root in the chroot (static text of ours, never user
 * input), files to add, and the image config. Its hash labels the image, so an image is rebuilt
 * exactly when its recipe changes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..');

/** A .dockerignore applied to host paths; `keep` names the lines this copy does not apply (node_modules). */
export interface HostPathsIgnore {
  rulesFile: string;
  /** What the rules' paths are relative to. */
  root: string;
  keep?: string[];
}

export interface Recipe {
  /** The image reference it produces. */
  name: string;
  /** Other references it answers for (official names matrix.yaml may use). */
  aliases: string[];
  /** Run before the packages are installed. */
  preInstall?: string;
  packages: string[];
  /** Run after the packages are installed. */
  postInstall?: string;
  /** Files copied into the image: image path → repository file. */
  files?: Record<string, string>;
  /** Host files and folders copied in: image path → absolute host path (the service's own code). */
  hostPaths?: Record<string, string>;
  /** A `.dockerignore` whose rules apply to hostPaths as `docker build` applies them to its context. */
  hostPathsIgnore?: HostPathsIgnore;
  /** What else shapes the image, for its hash (the service's sources, its Node binary). */
  hashInputs?: () => string[];
  /** docker import --change lines. */
  config: string[];
}

export const RUNNER: Recipe = {
  name: 'compat-runner:bookworm',
  aliases: [],
  packages: [
    'nodejs', 'npm', 'python3', 'python3-pytest', 'python3-psycopg2', 'python3-pymysql', 'python3-pip',
    'python3-setuptools', 'python3-wheel', 'python3-venv', 'git', 'sqlite3', 'ca-certificates', 'curl',
    'make', 'procps',
  ],
  // uid 1000 is the runner uid the workers use for builds and tests (workers/ports.ts RUNNER_UID).
  postInstall: 'useradd --create-home --uid 1000 --user-group --shell /bin/sh compat && mkdir -p /workspace && chown compat:compat /workspace',
  config: [
    'ENV LANG=C.UTF-8',
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV PIP_DISABLE_PIP_VERSION_CHECK=1',
    'ENV npm_config_update_notifier=false',
    'WORKDIR /workspace',
    'CMD ["/bin/sh"]',
  ],
};

export const POSTGRES: Recipe = {
  name: 'compat-postgres:15',
  aliases: ['postgres:15'],
  // Debian's postgresql-common would create and start a "main" cluster; the entrypoint makes its own.
  preInstall: 'mkdir -p /etc/postgresql-common && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf',
  packages: ['postgresql-15', 'postgresql-client-15', 'locales'],
  files: { '/usr/local/bin/docker-entrypoint.sh': 'entrypoints/postgres.sh' },
  config: [
    'ENV LANG=C.UTF-8',
    'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV PGDATA=/var/lib/postgresql/data',
    'EXPOSE 5432',
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
  ],
};

export const MARIADB: Recipe = {
  name: 'compat-mariadb:10.11',
  aliases: ['mariadb:10.11'],
  packages: ['mariadb-server', 'mariadb-client'],
  // The package's postinst initialises a data directory in the chroot; the entrypoint makes its own.
  postInstall: 'rm -rf /var/lib/mysql/* /etc/mysql/debian.cnf',
  files: { '/usr/local/bin/docker-entrypoint.sh': 'entrypoints/mariadb.sh' },
  config: [
    'ENV LANG=C.UTF-8',
    'EXPOSE 3306',
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
  ],
};

export const REDIS: Recipe = {
  name: 'compat-redis:7',
  aliases: ['redis:7'],
  packages: ['redis-server'],
  postInstall: 'mkdir -p /data && chown redis:redis /data',
  config: ['ENV LANG=C.UTF-8', 'WORKDIR /data', 'EXPOSE 6379', 'CMD ["redis-server", "--protected-mode", "no", "--dir", "/data"]'],
};

/** What of this repository the service needs at run time (sources run through tsx, no build step). */
const SERVICE_PATHS = ['bin', 'cli', 'common', 'server', 'workers', 'images', 'dashboards', 'examples', 'node_modules', 'package.json', 'package-lock.json', 'matrix.yaml', 'matrix.schema.json', 'tsconfig.json'];

/**
 * compat-matrix itself, for docker-compose.yml (`image: compat-matrix:local`): Debian bookworm has only
 * Node 18, so the host's own Node binary (20 or later, the one running this) goes in, with this
 * checkout's code and node_modules (native modules built for this same Debian).
 */
export const SERVICE: Recipe = {
  name: 'compat-matrix:local',
  aliases: [],
  packages: ['git', 'ca-certificates', 'libstdc++6'],
  hostPaths: {
    '/usr/local/bin/node': process.execPath,
    ...Object.fromEntries(SERVICE_PATHS.map((p) => [`/app/${p}`, path.join(REPO_ROOT, p)])),
  },
  // examples/ and the rest are copied from this checkout: a demo's .compat/ (the admin token, the store)
  // or an .env beside them must stay out, as the Dockerfile's build leaves them out.
  // node_modules is the one exception: the Dockerfile runs npm ci, this image takes the host's.
  hostPathsIgnore: { rulesFile: path.join(REPO_ROOT, '.dockerignore'), root: REPO_ROOT, keep: ['node_modules'] },
  hashInputs: () => [process.version, sourceDigest()],
  config: [
    'ENV LANG=C.UTF-8',
    'ENV NODE_ENV=production',
    'ENV COMPAT_DATA_DIR=/data',
    'WORKDIR /app',
    'ENTRYPOINT ["/usr/local/bin/node", "/app/bin/compat.js"]',
  ],
};

/** This checkout's code as git sees it (committed, staged and not), and its lock file. */
function sourceDigest(): string {
  const git = (args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const hash = createHash('sha256');
  hash.update(git(['ls-files', '-s']));
  hash.update(git(['diff', 'HEAD']));
  hash.update(readFileSync(path.join(REPO_ROOT, 'package-lock.json')));
  // The example repositories (materialized, not tracked) go in too.
  const examples = path.join(REPO_ROOT, 'examples', '.repos');
  for (const repo of existsSync(examples) ? readdirSync(examples).sort() : []) {
    hash.update(repo);
    hash.update(execFileSync('git', ['show-ref'], { cwd: path.join(examples, repo), encoding: 'utf8' }));
  }
  return hash.digest('hex');
}

export const RECIPES: Recipe[] = [RUNNER, POSTGRES, MARIADB];

/** The images docker-compose.yml runs: built by `compat images` too, where no registry has them. */
export const SERVICE_RECIPES: Recipe[] = [REDIS, SERVICE];

/**
 * The images the project itself needs whatever matrix.yaml says: the fixtures' runner, the DB servers,
 * and what docker-compose.yml runs (Redis under its official name, so a registry's is used where one
 * answers, and the service).
 */
export const DEFAULT_IMAGES = [...RECIPES.map((r) => r.name), ...SERVICE_RECIPES.map((r) => r.aliases[0] ?? r.name)];

export function recipeFor(image: string): Recipe | undefined {
  return [...RECIPES, ...SERVICE_RECIPES].find((r) => r.name === image || r.aliases.includes(image));
}

export function recipeFile(relative: string): string {
  return path.join(HERE, relative);
}

/** Changes whenever anything that shapes the image changes: packages, scripts, files, config. */
export function recipeHash(recipe: Recipe, suite: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ suite, ...recipe, aliases: undefined, hashInputs: recipe.hashInputs?.() }));
  for (const [target, source] of Object.entries(recipe.files ?? {})) {
    hash.update(target);
    hash.update(readFileSync(recipeFile(source)));
  }
  return hash.digest('hex').slice(0, 16);
}
