/**
 * Turns the example sources under examples/ into real git repositories under a destination folder
 * (examples/.repos by default): the library quarry with its three annotated release tags, and its
 * three consumers. matrix.yaml points at them.
 *
 * Every commit and tag is made with a fixed identity and date, from files whose modes are set here
 * (never taken from the checkout) and with the user's git configuration shut out, so the shas are the
 * same on every machine and a repository rebuilt from the same sources is identical to the old one:
 * mirrors and recorded runs that name those shas stay valid. A repository is rebuilt only when its
 * sources changed or its refs no longer are the ones it was built with; otherwise this is a few reads.
 *
 * Run directly (`node --import tsx examples/materialize.ts [DEST]`) it materializes into
 * examples/.repos and prints what it did.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Bump to rebuild every repository even when its sources did not change (e.g. a new commit layout). */
const FORMAT = 2;

/** Written into each built repository's .git: what it was built from and the refs that resulted. */
const STAMP_FILE = 'compat-examples.json';

/** Left out of the repositories: what running the examples' own tools leaves beside the sources. */
const IGNORED = new Set(['node_modules', '__pycache__', '.pytest_cache', 'dist', 'build', '.venv', 'test-results']);

export interface ExampleCommit {
  /**
   * Folder under examples/ holding the complete tree of this commit; or, with `overlay`, only the files
   * this commit adds or changes on top of the previous commit's tree.
   */
  source: string;
  overlay?: boolean;
  message: string;
  /** Author, committer and tagger date (ISO 8601, UTC). */
  date: string;
  /** An annotated tag on this commit. */
  tag?: { name: string; message: string };
}

export interface ExampleRepo {
  name: string;
  author: { name: string; email: string };
  /** Oldest first, all on `main`. */
  commits: ExampleCommit[];
}

/**
 * quarry's work between 1.0.0 and 1.1.0, one folder per commit under quarry/history/ holding the files
 * it changes. Commit 7 does not build (its build script copies a LICENSE that commit 8 adds); commit 9
 * alone breaks upsert on MySQL/MariaDB; the others touch unrelated files. What a bisect walks.
 */
const QUARRY_HISTORY: ExampleCommit[] = [
  ['01-docs-drivers', 'docs: the driver each dialect is meant for'],
  ['02-js-insert-many', 'js: insertMany, one INSERT for many rows'],
  ['03-python-insert-many', 'python: insert_many, one INSERT for many rows'],
  ['04-editorconfig', 'Add .editorconfig'],
  ['05-docs-insert-many', 'docs: insertMany / insert_many in the README'],
  ['06-tests-select-edges', 'tests: select without filters and with a zero limit'],
  ['07-build-ship-license', 'build: ship the LICENSE in both packages'],
  ['08-license', 'Add the MIT LICENSE file the packages ship'],
  [
    '09-mysql-row-alias',
    'Use INSERT ... ON DUPLICATE KEY for upsert\n\nmysql: ON DUPLICATE KEY UPDATE refers to the new row through a row alias\n(INSERT ... AS new ... b = new.b) instead of VALUES(b), which MySQL 8.0.20 deprecated.\n',
  ],
  ['10-js-keywords', 'js: package keywords'],
  ['11-python-readme', 'python: mention insert_many in the README'],
  ['12-gitignore', 'Ignore .venv and coverage output'],
  ['13-changelog', 'Changelog for 1.1.0'],
].map(([folder, message], i) => ({
  source: `quarry/history/${folder}`,
  overlay: true,
  message: message.endsWith('\n') ? message : `${message}\n`,
  // Working days after 1.0.0, one commit each, at 10:00 UTC.
  date: new Date(Date.parse('2024-03-11T10:00:00Z') + i * 4 * 86_400_000).toISOString().replace('.000Z', 'Z'),
}));

export const EXAMPLE_REPOS: ExampleRepo[] = [
  {
    name: 'quarry',
    author: { name: 'Quarry Maintainers', email: 'maintainers@quarry.example' },
    commits: [
      {
        source: 'quarry/v1.0.0',
        date: '2024-03-04T10:00:00Z',
        message: 'Release 1.0.0\n\ninsert, select and upsert for sqlite, mysql and postgres, in JavaScript and Python.\n',
        tag: { name: 'v1.0.0', message: 'quarry 1.0.0' },
      },
      ...QUARRY_HISTORY,
      {
        source: 'quarry/v1.1.0',
        date: '2024-05-13T10:00:00Z',
        message:
          'Release 1.1.0\n\nAdd insertMany / insert_many.\n\n' +
          'mysql: upsert refers to the new row through a row alias (AS new ... b = new.b) instead of\n' +
          'VALUES(b), which MySQL 8.0.20 deprecated.\n',
        tag: { name: 'v1.1.0', message: 'quarry 1.1.0' },
      },
      {
        source: 'quarry/v1.1.1',
        date: '2024-05-16T10:00:00Z',
        message:
          'Release 1.1.1\n\nmysql: upsert is back to VALUES(b). The row alias of 1.1.0 is MySQL 8.0.19+ only:\n' +
          'MariaDB rejects it with a syntax error, so every upsert failed there.\n',
        tag: { name: 'v1.1.1', message: 'quarry 1.1.1' },
      },
    ],
  },
  {
    name: 'py-inventory',
    author: { name: 'Inventory Team', email: 'inventory@shop.example' },
    commits: [
      {
        source: 'py-inventory',
        date: '2024-04-02T09:00:00Z',
        message: 'inventory 2.4.0: stock counts per warehouse\n',
        tag: { name: 'v2.4.0', message: 'inventory 2.4.0' },
      },
    ],
  },
  {
    name: 'js-ledger',
    author: { name: 'Ledger Team', email: 'ledger@books.example' },
    commits: [
      {
        source: 'js-ledger',
        date: '2024-04-15T14:30:00Z',
        message: 'js-ledger 0.3.0: balance snapshots and exchange rates\n\nDeveloped against the vendored quarry 1.0.0.\n',
        tag: { name: 'v0.3.0', message: 'js-ledger 0.3.0' },
      },
    ],
  },
  {
    name: 'py-legacy',
    author: { name: 'Finance IT', email: 'finance-it@corp.example' },
    commits: [
      {
        source: 'py-legacy',
        date: '2019-11-20T16:45:00Z',
        message: 'Order reports per region\n\nThe suite expects the docker-compose database on 127.0.0.1.\n',
      },
    ],
  },
];

/**
 * Real projects' history, kept as git bundles under examples/real (their commits, authors and dates as
 * upstream): a clone of the bundle, with no remote left pointing at it.
 */
export interface BundleRepo {
  name: string;
  /** Path under examples/. */
  bundle: string;
}

export const BUNDLE_REPOS: BundleRepo[] = [
  { name: 'sqlalchemy', bundle: 'real/sqlalchemy.bundle' },
  { name: 'sqlmodel', bundle: 'real/sqlmodel.bundle' },
];

interface SourceFile {
  /** Repository path, with forward slashes. */
  path: string;
  absolute: string;
  executable: boolean;
  sha256: string;
}

interface Stamp {
  fingerprint: string;
  refs: Record<string, string>;
}

/** The files of a commit's tree, sorted; executable = a shell script. */
async function sourceFiles(source: string): Promise<SourceFile[]> {
  const root = path.join(HERE, source);
  const out: SourceFile[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (IGNORED.has(entry.name) || entry.name.endsWith('.pyc') || entry.name.endsWith('.egg-info')) continue;
      const absolute = path.join(dir, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(absolute, rel);
      else if (entry.isFile()) {
        const sha256 = createHash('sha256').update(await readFile(absolute)).digest('hex');
        out.push({ path: rel, absolute, executable: entry.name.endsWith('.sh'), sha256 });
      }
    }
  };
  await walk(root, '');
  if (out.length === 0) throw new Error(`example source ${root} has no files`);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function fingerprintOf(repo: ExampleRepo, trees: SourceFile[][]): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ FORMAT, repo }));
  trees.forEach((files, i) => {
    hash.update(`\0commit ${i}\0`);
    for (const f of files) hash.update(`${f.path}\0${f.executable ? 'x' : '-'}\0${f.sha256}\n`);
  });
  return hash.digest('hex');
}

/** git with the user's and the system's configuration shut out, and a fixed identity and date. */
function gitEnv(repo: ExampleRepo, date: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) if (process.env[name]) env[name] = process.env[name];
  return {
    ...env,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: repo.author.name,
    GIT_AUTHOR_EMAIL: repo.author.email,
    GIT_COMMITTER_NAME: repo.author.name,
    GIT_COMMITTER_EMAIL: repo.author.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  };
}

const GIT_OPTIONS = ['-c', 'core.autocrlf=false', '-c', 'core.fileMode=true', '-c', 'commit.gpgSign=false', '-c', 'tag.gpgSign=false'];

async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', [...GIT_OPTIONS, ...args], { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`git ${args.join(' ')} in ${cwd} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

async function refsOf(dir: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const out = await git(dir, ['for-each-ref', '--format=%(refname) %(objectname)'], env);
  const refs: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const [ref, sha] = line.trim().split(' ');
    if (ref && sha) refs[ref] = sha;
  }
  return refs;
}

function sameRefs(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** True when `dir` is this repository built from these very sources, its refs untouched since. */
async function upToDate(dir: string, env: NodeJS.ProcessEnv, fingerprint: string): Promise<boolean> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(path.join(dir, '.git', STAMP_FILE), 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (stamp.fingerprint !== fingerprint) return false;
  try {
    return sameRefs(stamp.refs, await refsOf(dir, env));
  } catch {
    return false;
  }
}

async function build(dir: string, repo: ExampleRepo, trees: SourceFile[][], fingerprint: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main'], gitEnv(repo, repo.commits[0].date));
  for (const [i, commit] of repo.commits.entries()) {
    const env = gitEnv(repo, commit.date);
    // A full commit's tree is exactly its source folder: clear the previous one first. An overlay
    // commit keeps the previous tree and writes its files over it.
    if (!commit.overlay) for (const entry of await readdir(dir)) if (entry !== '.git') await rm(path.join(dir, entry), { recursive: true, force: true });
    for (const file of trees[i]) {
      const target = path.join(dir, ...file.path.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, await readFile(file.absolute));
      await chmod(target, file.executable ? 0o755 : 0o644);
    }
    await git(dir, ['add', '-A'], env);
    // The recorded mode must not depend on the filesystem's idea of an execute bit.
    const scripts = trees[i].filter((f) => f.executable).map((f) => f.path);
    if (scripts.length) await git(dir, ['update-index', '--chmod=+x', '--', ...scripts], env);
    await git(dir, ['commit', '-q', '--allow-empty', '--no-verify', '-m', commit.message], env);
    if (commit.tag) await git(dir, ['tag', '-a', commit.tag.name, '-m', commit.tag.message], env);
  }
  await writeStamp(dir, fingerprint, gitEnv(repo, repo.commits[0].date));
}

async function writeStamp(dir: string, fingerprint: string, env: NodeJS.ProcessEnv): Promise<void> {
  const stamp: Stamp = { fingerprint, refs: await refsOf(dir, env) };
  await writeFile(path.join(dir, '.git', STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
}

export type MaterializeResult = 'up to date' | 'built' | 'rebuilt';

/** Makes `destDir/<repo.name>` the repository built from its sources, unless it already is. */
export async function materializeRepo(destDir: string, repo: ExampleRepo): Promise<MaterializeResult> {
  const trees = await Promise.all(repo.commits.map((c) => sourceFiles(c.source)));
  const fingerprint = await fingerprintOf(repo, trees);
  return swapIn(destDir, repo.name, fingerprint, gitEnv(repo, repo.commits[0].date), (fresh) => build(fresh, repo, trees, fingerprint));
}

/** Makes `destDir/<bundle.name>` a clone of its bundle, unless it already is. */
export async function materializeBundle(destDir: string, repo: BundleRepo): Promise<MaterializeResult> {
  const bundle = path.join(HERE, repo.bundle);
  const fingerprint = createHash('sha256').update(JSON.stringify({ FORMAT, repo })).update(await readFile(bundle)).digest('hex');
  const env = gitEnv({ name: repo.name, author: { name: 'compat-matrix', email: 'examples@compat.invalid' }, commits: [] }, '2000-01-01T00:00:00Z');
  return swapIn(destDir, repo.name, fingerprint, env, async (fresh) => {
    await git(destDir, ['clone', '-q', bundle, fresh], env);
    await git(fresh, ['remote', 'remove', 'origin'], env);
    await writeStamp(fresh, fingerprint, env);
  });
}

/** Builds a repository beside its target and swaps it in, unless the target is already this build. */
async function swapIn(
  destDir: string,
  name: string,
  fingerprint: string,
  env: NodeJS.ProcessEnv,
  make: (fresh: string) => Promise<void>,
): Promise<MaterializeResult> {
  const dir = path.join(destDir, name);
  if (await upToDate(dir, env, fingerprint)) return 'up to date';

  // Built beside the target and swapped in, so a reader never sees half a repository, and two
  // materializers at once (a test run and a demo) end with the same result.
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const fresh = path.join(destDir, `.${name}.new-${suffix}`);
  const old = path.join(destDir, `.${name}.old-${suffix}`);
  const existed = existsSync(dir);
  try {
    await make(fresh);
    if (existed) await rename(dir, old).catch(() => undefined);
    try {
      await rename(fresh, dir);
    } catch (error) {
      // Someone else swapped theirs in first: fine if it is the same build.
      if (!(await upToDate(dir, env, fingerprint))) throw error;
    }
  } finally {
    await rm(fresh, { recursive: true, force: true });
    await rm(old, { recursive: true, force: true });
  }
  return existed ? 'rebuilt' : 'built';
}

/** Materializes every example repository into `destDir` (created if missing). */
export async function materializeExamples(destDir: string, options: { log?: (line: string) => void } = {}): Promise<void> {
  await mkdir(destDir, { recursive: true });
  if (!(await stat(destDir)).isDirectory()) throw new Error(`${destDir} is not a directory`);
  for (const repo of EXAMPLE_REPOS) {
    const result = await materializeRepo(destDir, repo);
    options.log?.(`${repo.name}: ${result} (${path.join(destDir, repo.name)})`);
  }
  for (const repo of BUNDLE_REPOS) {
    const result = await materializeBundle(destDir, repo);
    options.log?.(`${repo.name}: ${result} from ${repo.bundle} (${path.join(destDir, repo.name)})`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dest = path.resolve(process.argv[2] ?? path.join(HERE, '.repos'));
  materializeExamples(dest, { log: (line) => console.log(line) }).catch((error: Error) => {
    console.error(`materialize: ${error.message}`);
    process.exitCode = 1;
  });
}
