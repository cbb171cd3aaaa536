/**
 * Git mirrors, cached under the data directory and fetched incrementally, through one simple-git
 * wrapper. Refs are validated before they get here; they are only ever passed as single arguments.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { refNameProblem } from './ref.js';
import { redactText } from '../redact.js';
import { publishDir } from '../fs/publish-dir.js';

export class GitError extends Error {
  constructor(
    message: string,
    /** Deterministic (a ref that does not exist) rather than a passing fault (network). */
    readonly deterministic: boolean,
  ) {
    // It quotes the repository's URL (and git's output does too): it becomes a side's reason, an API
    // error, a log line, so it never carries the URL's credentials.
    super(redactText(message));
    this.name = 'GitError';
  }
}

/** Host variables git may need (proxies, CA bundles); nothing else of the environment reaches it. */
const PASSED_ENV = /^(PATH|HOME|TMPDIR|GIT_SSL_CAINFO|GIT_SSL_CAPATH|SSL_CERT_FILE|SSL_CERT_DIR|(https?|no|all)_proxy|(HTTPS?|NO|ALL)_PROXY)$/;

/** The one way to get a git client: non-interactive, C locale, no credential prompts, a known environment. */
export function createGit(baseDir?: string): SimpleGit {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && PASSED_ENV.test(key)) env[key] = value;
  return simpleGit({
    baseDir,
    maxConcurrentProcesses: 4,
    timeout: { block: 300_000 },
    // simple-git guards GIT_* variables; these are ours (constants below) or the host's CA settings.
    allowEnvironment: ['GIT_TERMINAL_PROMPT', 'GIT_SSH_COMMAND', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH'],
    unsafe: { allowUnsafeSshCommand: true },
  }).env({
    ...env,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
  });
}

const locks = new Map<string, Promise<unknown>>();

/** Serializes git operations on one mirror within this process (git's own locks fail rather than wait). */
async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(fn);
  locks.set(key, next);
  try {
    return await next;
  } finally {
    if (locks.get(key) === next) locks.delete(key);
  }
}

export function mirrorPath(dataDir: string, url: string): string {
  const base = path.basename(url).replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'repo';
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return path.join(dataDir, 'git', `${base}-${hash}.git`);
}

const FETCH_MAX_AGE_MS = 30_000;

export class Mirror {
  constructor(
    readonly url: string,
    readonly dir: string,
  ) {}

  static for(dataDir: string, url: string): Mirror {
    return new Mirror(url, mirrorPath(dataDir, url));
  }

  /** Clones the mirror the first time, fetches it when older than a few seconds (or when forced). */
  async update(force = false): Promise<void> {
    await withLock(this.dir, async () => {
      const stamp = path.join(this.dir, 'compat-fetched');
      if (!existsSync(path.join(this.dir, 'HEAD'))) {
        // Cloned aside and renamed into place: another worker process sharing the data dir may be cloning it too.
        try {
          await publishDir(this.dir, (tmp) => createGit().clone(this.url, tmp, ['--mirror', '--quiet']).then(() => undefined), (dir) => existsSync(path.join(dir, 'HEAD')));
        } catch (error) {
          throw new GitError(`cannot clone ${this.url}: ${firstLine(error)}`, /not found|does not exist|not a git repository/i.test(String(error)));
        }
      } else if (force || !existsSync(stamp) || Date.now() - statSync(stamp).mtimeMs > FETCH_MAX_AGE_MS) {
        try {
          await createGit(this.dir).fetch(['--prune', '--prune-tags', '--tags', '--force', '--quiet', 'origin']);
        } catch (error) {
          throw new GitError(`cannot fetch ${this.url}: ${firstLine(error)}`, false);
        }
      } else {
        return;
      }
      writeFileSync(stamp, `${new Date().toISOString()}\n`);
    });
  }

  /** Every tag with the commit it points at (annotated tags peeled). */
  async tags(): Promise<Array<{ tag: string; sha: string }>> {
    const out = await createGit(this.dir).raw([
      'for-each-ref',
      '--format=%(refname:strip=2)%09%(*objectname)%09%(objectname)',
      'refs/tags',
    ]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [tag, peeled, object] = line.split('\t');
        return { tag, sha: peeled || object };
      });
  }

  /** The commit a ref (tag, branch or commit) names, or null. */
  async resolve(ref: string): Promise<string | null> {
    const problem = refNameProblem(ref);
    if (problem) throw new GitError(`not a valid git ref "${ref.slice(0, 80)}": ${problem}`, true);
    try {
      const sha = (await createGit(this.dir).raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim();
      return /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
    } catch {
      return null;
    }
  }

  /**
   * Git's content ids of the named files at a commit's root (absent files left out), without a checkout:
   * equal ids mean equal contents.
   */
  async blobIds(sha: string, names: string[]): Promise<Record<string, string>> {
    if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new GitError(`not a commit id: "${sha.slice(0, 80)}"`, true);
    const out = await createGit(this.dir).raw(['ls-tree', '-z', sha, '--', ...names]);
    const ids: Record<string, string> = {};
    for (const entry of out.split('\0').filter(Boolean)) {
      const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(entry);
      if (m) ids[m[2]] = m[1];
    }
    return ids;
  }

  /** Resolves a ref, fetching once if the mirror does not know it yet. */
  async resolveFetching(ref: string): Promise<string> {
    await this.update();
    let sha = await this.resolve(ref);
    if (!sha) {
      await this.update(true);
      sha = await this.resolve(ref);
    }
    if (!sha) throw new GitError(`ref "${ref}" does not exist in ${this.url}`, true);
    return sha;
  }

  /** `git merge-base a b`: where a pull request's head left its target branch. */
  async mergeBase(a: string, b: string): Promise<string | null> {
    for (const ref of [a, b]) {
      const problem = refNameProblem(ref);
      if (problem) throw new GitError(`not a valid git ref "${ref.slice(0, 80)}": ${problem}`, true);
    }
    try {
      const sha = (await createGit(this.dir).raw(['merge-base', '--end-of-options', a, b])).trim();
      return /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
    } catch {
      return null;
    }
  }

  /**
   * `from` and the first-parent commits after it up to `to`, oldest first: what a bisect walks
   * (`git rev-list --first-parent from..to`). Both are commit shas.
   */
  async firstParentCommits(from: string, to: string): Promise<Array<{ sha: string; subject: string; author: string; date: string }>> {
    const format = ['--format=%H%x1f%s%x1f%an%x1f%aI%x1e'];
    const git = createGit(this.dir);
    const parse = (out: string) =>
      out
        .split('\x1e')
        .map((record) => record.trim())
        .filter(Boolean)
        .map((record) => {
          const [sha, subject, author, date] = record.split('\x1f');
          return { sha, subject, author, date };
        });
    const first = parse(await git.raw(['log', '-1', ...format, '--end-of-options', from]));
    const rest = parse(await git.raw(['log', '--first-parent', '--reverse', ...format, '--end-of-options', `${from}..${to}`]));
    return [...first, ...rest];
  }

  /** A working copy of one commit in `dest` (a local clone: hard links, fast). */
  async checkout(sha: string, dest: string): Promise<void> {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(path.dirname(dest), { recursive: true });
    await withLock(this.dir, () => createGit().clone(this.dir, dest, ['--quiet', '--no-checkout']));
    await createGit(dest).raw(['checkout', '--quiet', '--detach', sha]);
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n').find((l) => l.trim()) ?? 'unknown error';
}
