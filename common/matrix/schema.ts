/**
 * matrix.yaml, as a zod schema: the single source of its shape. `compat validate` reports every issue
 * this finds, with the YAML position; `matrix.schema.json` is generated from it for editors.
 */
import path from 'node:path';
import { z } from 'zod';
import { BACKENDS } from '../types.js';
import { refNameProblem } from '../git/ref.js';
import { untilInstant } from '../quarantine/entry.js';
import { consumerSecretVariable } from '../secrets/consumer-secret-names.js';
import { RUNNER_KINDS } from '../runners/kinds.js';

/** The variables a consumer's env may template from (CONTRACT: "What a consumer's test command gets"). */
export const CONTRACT_VARIABLES = [
  'DATABASE_URL',
  'COMPAT_BACKEND',
  'COMPAT_LIBRARY',
  'COMPAT_LIBRARY_VERSION',
  'COMPAT_SIDE',
  'COMPAT_RESULTS_DIR',
  'COMPAT_ARTIFACT_DIR',
] as const;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const Name = z
  .string()
  .regex(NAME_RE, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit (no path separators)');

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an upper-case environment variable name');

const RefName = z.string().superRefine((ref, ctx) => {
  const problem = refNameProblem(ref);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a valid git ref: ${problem}` });
});

const Command = z.string().trim().min(1, 'must be a non-empty command');

const Image = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?$/, 'must be an image reference like "name:tag"');

/** An image built from a Dockerfile, tagged by the digest of its context and reused while that is unchanged. */
export const DockerfileImage = z.strictObject({
  /** The Dockerfile, relative to matrix.yaml; inside the context. */
  dockerfile: z.string().min(1).max(500),
  /** The build context, relative to matrix.yaml. @defaultValue the Dockerfile's folder */
  context: z.string().min(1).max(500).optional(),
}).superRefine((image, ctx) => {
  // Both are relative to matrix.yaml, so whether one holds the other is a question of the paths alone.
  if (image.context === undefined) return;
  const inside = path.posix.relative(path.posix.normalize(image.context), path.posix.normalize(image.dockerfile));
  if (inside.startsWith('..') || path.posix.isAbsolute(inside)) {
    ctx.addIssue({ code: 'custom', path: ['dockerfile'], message: `must be inside the context "${image.context}"` });
  }
});

/** `image: NAME` or `image: {dockerfile: PATH, context: DIR}`. */
const ImageSpec = z.union([Image, DockerfileImage], {
  error: 'must be an image reference like "name:tag", or {dockerfile: PATH, context: DIR}',
});

const TemplatedValue = z.string().superRefine((value, ctx) => {
  for (const match of value.matchAll(/\$\{([^}]*)\}/g)) {
    if (!(CONTRACT_VARIABLES as readonly string[]).includes(match[1])) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown variable \${${match[1]}}: templates may use ${CONTRACT_VARIABLES.join(', ')}`,
      });
    }
  }
});

export const Resources = z.strictObject({
  /** Memory limit of the test container. @defaultValue 1024 */
  memoryMb: z.number().int().min(64).max(65536).optional(),
  /** CPU limit (fractional cores). @defaultValue 1 */
  cpus: z.number().min(0.1).max(64).optional(),
  /** Maximum number of processes. @defaultValue 512 */
  pids: z.number().int().min(16).max(100000).optional(),
  /** Disk a cell side may fill (workspace, results, database file, container layer); over it, it fails. @defaultValue 10240 */
  diskMb: z.number().int().min(16).max(1048576).optional(),
});

/** A suite that ignores DATABASE_URL: it gets a server of its own on 127.0.0.1 with these credentials. */
export const FixedConnection = z.strictObject({
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier'),
  user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/, 'must be a plain SQL identifier'),
  /** Omitted: the user logs in without a password (on the cell's loopback only). */
  password: z.string().max(128).optional(),
  /** The user is a superuser, for suites that create schemas, extensions or other databases. @defaultValue false */
  superuser: z.boolean().optional(),
  /** SQL run as the database superuser after the database is created, before the tests. */
  setupSql: z.string().optional(),
});

/** A folder inside a repository: relative, and never out of it. */
export const RepoPath = z
  .string()
  .min(1)
  .max(500)
  .superRefine((value, ctx) => {
    const parts = value.split('/');
    if (value.startsWith('/') || /^[A-Za-z]:/.test(value) || value.includes('\\')) {
      ctx.addIssue({ code: 'custom', message: 'must be a path relative to the repository root, with "/" separators' });
    } else if (parts.includes('..')) {
      ctx.addIssue({ code: 'custom', message: 'must stay inside the repository (no ".." segment)' });
    } else if (value.includes('\0')) {
      ctx.addIssue({ code: 'custom', message: 'must not contain a NUL byte' });
    }
  });

/**
 * The schema a consumer's migrations build, read from the cell's database on each side and diffed
 * (issue 19): evidence the tests may never look at (a lost unique flag, an index, a default).
 */
export const SchemaCheck = z.strictObject({
  /** Builds the schema against $DATABASE_URL after the installs, before `test` (`alembic upgrade head`, `knex migrate:latest`). */
  migrate: Command,
  /** Undoes the migrations, for the round trip (migrate, downgrade, migrate). @defaultValue none */
  downgrade: Command.optional(),
  /** Prints the DDL the migrations would run (`alembic upgrade head --sql`); diffed as text. @defaultValue none */
  sql: Command.optional(),
  /** Tables (or `table / kind name` objects) left out of the diff, such as the tool's own version table. */
  ignore: z.array(z.string().min(1).max(200)).optional(),
  /** What a schema that differs does to the cell: `block` makes it a regression, `warn` only shows it. @defaultValue "block" */
  onChange: z.enum(['block', 'warn']).optional(),
});

export const Consumer = z.strictObject({
  name: Name,
  /** Git URL, or a path relative to matrix.yaml. */
  repo: z.string().min(1),
  /** The consumer's pinned tag, branch or commit. */
  ref: RefName,
  image: ImageSpec,
  /** The folder of the repository the commands run in, for monorepos and suites in a subfolder. @defaultValue the root */
  workdir: RepoPath.optional(),
  /** Installs the consumer's own dependencies (e.g. `npm ci`). */
  install: Command.optional(),
  /** Installs the library artifact in $COMPAT_ARTIFACT_DIR over whatever version the consumer declares. */
  installCandidate: Command,
  /**
   * Runs the suite; JUnit XML written under $COMPAT_RESULTS_DIR gives per-test results. Optional with
   * `schema:` (the schema is then the evidence).
   */
  test: Command.optional(),
  schema: SchemaCheck.optional(),
  /**
   * Runs only the tests named in $COMPAT_RERUN_TESTS (one id per line; also in the file
   * $COMPAT_RERUN_TESTS_FILE), for a suspected regression's confirming re-runs. Without it, or when it
   * selects none of them, the whole suite runs. @defaultValue none
   */
  rerun: Command.optional(),
  /**
   * The test runner `test` starts, for what a preset does without commands of its own: JUnit into
   * $COMPAT_RESULTS_DIR when the command writes none, and confirming re-runs and bisect steps that run
   * only the cell's new failures (a `rerun` command still wins). `custom`: the commands as written.
   * @defaultValue custom
   */
  runner: z.enum(RUNNER_KINDS).optional(),
  /**
   * `install` runs once per worker host for the consumer's commit, image, commands and lockfiles, and
   * every side starts from the filesystem it left. false: an install that needs the cell's database
   * (DATABASE_URL, COMPAT_BACKEND, COMPAT_SIDE are not given to a cached install) runs on every side.
   * @defaultValue true
   */
  cacheInstall: z.boolean().optional(),
  backends: z
    .array(z.enum(BACKENDS))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'lists a backend twice'),
  env: z.record(EnvName, TemplatedValue).optional(),
  /**
   * Secret variables the suite gets, each masked in logs and results. Their values come from the worker
   * host's COMPAT_SECRET_<LIBRARY>__<CONSUMER>__<NAME> or its COMPAT_SECRETS_FILE (keyed by library, then
   * consumer), never from the worker's own environment (docs/secrets.md).
   */
  secretEnv: z.array(EnvName).optional(),
  timeoutSeconds: z.number().int().min(1).max(86400).optional(),
  resources: Resources.optional(),
  fixedConnection: z.strictObject({ mysql: FixedConnection.optional(), postgres: FixedConnection.optional() }).optional(),
});

/** npm names (scoped too) and PyPI project names. */
const PackageName = z
  .string()
  .max(214)
  .regex(/^(@[a-z0-9][a-z0-9._~-]*\/)?[A-Za-z0-9][A-Za-z0-9._~-]*$/, 'must be a package name as the registry spells it');

/** Where the library is published; its default baseline is then what that registry serves. */
export const Registry = z.union([z.strictObject({ npm: PackageName }), z.strictObject({ pypi: PackageName })], {
  error: 'must be {npm: NAME} or {pypi: NAME}',
});

/** `owner/repo` (GitHub) or `group/subgroup/project` (GitLab): path segments as the forges allow them. */
const RepositoryPath = (min: number, max: number) =>
  z
    .string()
    .max(255)
    .refine((v) => {
      const parts = v.split('/');
      return parts.length >= min && parts.length <= max && parts.every((part) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(part) && !part.endsWith('.git'));
    }, min === max ? 'must be OWNER/REPO' : 'must be GROUP/PROJECT (subgroups allowed)');

/**
 * The repository that commit statuses for this library go to (issue 16 item 7): never the one a webhook
 * body names, which anyone holding the library's secret could choose.
 */
export const ForgeSetting = z.union([z.strictObject({ github: RepositoryPath(2, 2) }), z.strictObject({ gitlab: RepositoryPath(2, 20) })], {
  error: 'must be {github: OWNER/REPO} or {gitlab: GROUP/PROJECT}',
});

/** One quarantined test of a consumer (server/quarantine). */
export const Quarantine = z.strictObject({
  consumer: Name,
  /** The test's id as the cell lists it (JUnit `classname::name`). */
  test: z.string().min(1),
  reason: z.string().min(1),
  until: z.string().refine((v) => untilInstant(v) !== null, { message: 'must be a date (YYYY-MM-DD) or an ISO 8601 instant' }),
});

/**
 * Pull/merge requests as candidates (issue 18): which actions start a run, the label a `labeled` action
 * must add, and what the head is measured against. Absent: pull requests start nothing.
 */
export const PullRequests = z.strictObject({
  /** @defaultValue [opened, synchronize, reopened] */
  on: z.array(z.enum(['opened', 'synchronize', 'reopened', 'labeled'])).min(1).optional(),
  /** With `labeled` in `on`: only this label starts a run; without `labeled`, a PR must carry it. */
  label: z.string().min(1).max(100).optional(),
  /** `merge-base`: the commit the PR forked from its target branch; `latest-release`: the highest release tag. @defaultValue merge-base */
  baseline: z.enum(['merge-base', 'latest-release']).optional(),
  /** GitHub author_associations whose `/compat` comments are honoured (GitLab: Developer and above). @defaultValue [OWNER, MEMBER, COLLABORATOR] */
  writers: z.array(z.enum(['OWNER', 'MEMBER', 'COLLABORATOR', 'CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER', 'NONE'])).min(1).optional(),
});

export const Library = z.strictObject({
  name: Name,
  repo: z.string().min(1),
  /**
   * The package the library publishes. The default baseline is then the highest version published below
   * the candidate, installed from the registry's own file; the candidate is still built from its tag.
   */
  registry: Registry.optional(),
  /**
   * Where statuses for this library's runs are posted. Without it, a `repo:` on github.com or gitlab.com
   * names the repository; a library elsewhere (a local path, a self-hosted forge) gets no status.
   */
  forge: ForgeSetting.optional(),
  /**
   * How tags map to versions: `{version}` is a semver string; `{major}`, `{minor}`, `{patch}` are
   * numbers and `{pre}` an optional prerelease suffix, e.g. `rel_{major}_{minor}_{patch}`.
   * @defaultValue "v{version}"
   */
  tags: z
    .string()
    .refine((p) => p.includes('{version}') || (p.includes('{major}') && p.includes('{minor}')), {
      message: 'must contain {version}, or {major} and {minor}',
    })
    .optional(),
  build: z.strictObject({
    image: ImageSpec,
    /** Builds installable artifacts from the checkout into $COMPAT_ARTIFACT_DIR. */
    command: Command,
    timeoutSeconds: z.number().int().min(1).max(86400).optional(),
  }),
  /**
   * Bisect a confirmed regression between the baseline and the candidate commits, to name the commit
   * that broke it. @defaultValue true
   */
  bisect: z.boolean().optional(),
  /**
   * Tests known to fail for a reason of their own: each still runs and is shown quarantined with its
   * reason, and never blocks until `until` (a date, through that day UTC, or an ISO 8601 instant).
   * `compat quarantine add` adds more without editing this file.
   */
  quarantine: z.array(Quarantine).optional(),
  pullRequests: PullRequests.optional(),
  consumers: z.array(Consumer).min(1),
});

export const Matrix = z.strictObject({
  version: z.literal(1),
  defaults: z
    .strictObject({
      /** Per side of a cell. @defaultValue 600 */
      timeoutSeconds: z.number().int().min(1).max(86400).optional(),
      resources: Resources.optional(),
      /** Confirming re-runs of a suspected regression. @defaultValue 2 */
      reruns: z.number().int().min(0).max(10).optional(),
    })
    .optional(),
  databases: z
    .strictObject({
      postgres: z.strictObject({ image: Image }).optional(),
      mysql: z.strictObject({ image: Image }).optional(),
    })
    .optional(),
  libraries: z.array(Library).min(1),
}).superRefine(
  (matrix, ctx) => {
    // Runs even when other fields are wrong (every problem is reported at once), so the input is read
    // defensively: it is only as valid as the parse so far.
    const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
    const field = (value: unknown, key: string): unknown => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined);
    // Names become queue keys, labels and folder names: each must be unique where it is used.
    const seen = new Map<string, number>();
    // Every secretEnv request by the variable a worker reads it from: two requests of one variable would
    // read one value (a consumer given another consumer's secret), so the second is refused.
    const secretReaders = new Map<string, { library: string; consumer: string; name: string; li: number; ci: number }>();
    list(field(matrix, 'libraries')).forEach((library, li) => {
      const libraryName = field(library, 'name');
      if (typeof libraryName === 'string') {
        if (seen.has(libraryName)) {
          ctx.addIssue({ code: 'custom', path: ['libraries', li, 'name'], message: `duplicate library name "${libraryName}"` });
        }
        seen.set(libraryName, li);
      }
      const consumers = new Set<string>();
      list(field(library, 'consumers')).forEach((consumer, ci) => {
        const name = field(consumer, 'name');
        if (typeof name === 'string') {
          if (consumers.has(name)) {
            ctx.addIssue({
              code: 'custom',
              path: ['libraries', li, 'consumers', ci, 'name'],
              message: `duplicate consumer name "${name}" in library "${String(libraryName)}"`,
            });
          }
          consumers.add(name);
        }
        list(field(consumer, 'secretEnv')).forEach((secret, si) => {
          if (typeof libraryName !== 'string' || typeof name !== 'string' || typeof secret !== 'string') return;
          const variable = consumerSecretVariable(libraryName, name, secret);
          const first = secretReaders.get(variable);
          if (!first) {
            secretReaders.set(variable, { library: libraryName, consumer: name, name: secret, li, ci });
          } else if (first.li !== li || first.ci !== ci) {
            ctx.addIssue({
              code: 'custom',
              path: ['libraries', li, 'consumers', ci, 'secretEnv', si],
              message: `${secret} of consumer "${name}" (library "${libraryName}") would read the same value as ${first.name} of consumer "${first.consumer}" (library "${first.library}", libraries.${first.li}.consumers.${first.ci}): both are ${variable}; rename a consumer or a secret`,
            });
          }
        });
        // `test:` is optional only with `schema:` (the schema is then the evidence).
        if (consumer && typeof consumer === 'object' && field(consumer, 'test') === undefined && field(consumer, 'schema') === undefined) {
          ctx.addIssue({ code: 'custom', path: ['libraries', li, 'consumers', ci, 'test'], message: 'required field is missing' });
        }
        const fixed = field(consumer, 'fixedConnection');
        const backends = list(field(consumer, 'backends'));
        for (const backend of fixed && typeof fixed === 'object' ? Object.keys(fixed) : []) {
          if (!backends.includes(backend)) {
            ctx.addIssue({
              code: 'custom',
              path: ['libraries', li, 'consumers', ci, 'fixedConnection', backend],
              message: `backend "${backend}" is not in this consumer's backends`,
            });
          }
        }
      });
    });
  },
  { when: () => true },
);

export type MatrixInput = z.input<typeof Matrix>;
export type MatrixData = z.output<typeof Matrix>;
export type LibraryConfig = z.output<typeof Library>;
export type ConsumerConfig = z.output<typeof Consumer>;
export type FixedConnectionConfig = z.output<typeof FixedConnection>;
export type SchemaCheckConfig = z.output<typeof SchemaCheck>;
/** An image as a job carries it (and the store keeps it): a name, or a Dockerfile and its context as absolute paths. */
export const ResolvedImage = z.union([z.string(), z.object({ dockerfile: z.string(), context: z.string() })]);
export type ImageRef = z.infer<typeof ResolvedImage>;

/**
 * A consumer with every default applied and its repository resolved (load.ts resolve()): what a cell
 * job carries and the store keeps as the cell's configuration, checked where either is read back.
 */
export const ResolvedConsumerSchema = Consumer.extend({
  image: ResolvedImage,
  env: z.record(z.string(), z.string()),
  secretEnv: z.array(z.string()),
  timeoutSeconds: z.number().int().positive(),
  // diskMb is optional only for plans stored before it existed.
  resources: z.object({ memoryMb: z.number(), cpus: z.number(), pids: z.number(), diskMb: z.number().optional() }),
}).superRefine((consumer, ctx) => {
  // As matrix.yaml: a consumer runs a suite, or its schema is the evidence.
  if (consumer.test === undefined && consumer.schema === undefined) ctx.addIssue({ code: 'custom', path: ['test'], message: 'required field is missing' });
});
export type ResolvedConsumer = z.output<typeof ResolvedConsumerSchema>;

/** Where a library's commit statuses go, and which setting said so (the run's meta names both). */
export const StatusTargetSchema = z.object({
  forge: z.enum(['github', 'gitlab']),
  /** GitHub `owner/repo`; GitLab `group/project` (its path_with_namespace, which GitLab's API takes as the id). */
  repository: z.string().min(1),
  from: z.enum(['forge', 'repo']),
});
export type StatusTarget = z.infer<typeof StatusTargetSchema>;
