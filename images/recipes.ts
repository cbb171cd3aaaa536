/**
 * Images compat-matrix can build offline from Debian bookworm packages when no registry answers.
 * A recipe is data: packages, a script run as root in the chroot (static text of ours, never user
 * input), files to add, and the image config. Its hash labels the image, so an image is rebuilt
 * exactly when its recipe changes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

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

export const RECIPES: Recipe[] = [RUNNER, POSTGRES, MARIADB];

/** The images the project itself needs whatever matrix.yaml says (the fixtures' runner, the DB servers). */
export const DEFAULT_IMAGES = RECIPES.map((r) => r.name);

export function recipeFor(image: string): Recipe | undefined {
  return RECIPES.find((r) => r.name === image || r.aliases.includes(image));
}

export function recipeFile(relative: string): string {
  return path.join(HERE, relative);
}

/** Changes whenever anything that shapes the image changes: packages, scripts, files, config. */
export function recipeHash(recipe: Recipe, suite: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ suite, ...recipe, aliases: undefined }));
  for (const [target, source] of Object.entries(recipe.files ?? {})) {
    hash.update(target);
    hash.update(readFileSync(recipeFile(source)));
  }
  return hash.digest('hex').slice(0, 16);
}
