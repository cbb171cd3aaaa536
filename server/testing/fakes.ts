/**
 * In-memory stand-ins for the server's ports (server/ports.ts), for unit tests of the core: a library
 * repository as a list of commits and tags, a work queue that keeps what was enqueued (a job id seen
 * before is a no-op, as in BullMQ), a registry and a forge that answer what a test tells them.
 */
import { GitError } from '../../common/git/mirror.js';
import { checkMessage, WorkJob, workJobId } from '../../common/queue/jobs.js';
import { registryOf, type PublishedFile, type RegistryRef } from '../../common/registry/published.js';
import type { StatusRequest } from '../status/forges.js';
import { Store } from '../store/store.js';
import type { ForgeRequest } from '../forges/types.js';
import type { FailedWork, ForgeAnswer, ForgeClient, GitRepositories, LibraryRepository, PackageRegistry, ServerPorts, WorkQueue } from '../ports.js';

/** A store of its own, in memory: gone when the test's last reference is. */
export function memoryStore(): Store {
  return new Store(':memory:');
}

export interface FakeCommit {
  sha: string;
  subject?: string;
}

/** A 40-character sha made of a short name, readable in a failing test's output. */
export function fakeSha(name: string): string {
  return Buffer.from(name).toString('hex').padEnd(40, '0').slice(0, 40);
}

/** Repositories as their first-parent history (oldest first) and tags. */
export class FakeRepositories implements GitRepositories {
  private readonly repos = new Map<string, { commits: FakeCommit[]; tags: Record<string, string>; refs?: Record<string, string> }>();
  /** How often each repository was brought up to date. */
  readonly updates = new Map<string, number>();

  /** `refs`: other refs than tags (a branch, `refs/pull/N/head`). History is linear, so a merge base is the older commit. */
  add(repo: string, history: { commits: FakeCommit[]; tags: Record<string, string>; refs?: Record<string, string> }): this {
    this.repos.set(repo, history);
    return this;
  }

  open(repo: string): LibraryRepository {
    const known = () => {
      const r = this.repos.get(repo);
      if (!r) throw new GitError(`cannot read ${repo}: no such repository`, false);
      return r;
    };
    const resolve = async (ref: string) => {
      const r = known();
      return r.tags[ref] ?? r.refs?.[ref] ?? r.commits.find((c) => c.sha === ref)?.sha ?? null;
    };
    return {
      update: async () => {
        known();
        this.updates.set(repo, (this.updates.get(repo) ?? 0) + 1);
      },
      tags: async () => Object.entries(known().tags).map(([tag, sha]) => ({ tag, sha })),
      resolve,
      resolveFetching: async (ref) => {
        const sha = await resolve(ref);
        if (!sha) throw new GitError(`"${ref}" is not a ref of ${repo}`, true);
        return sha;
      },
      mergeBase: async (a, b) => {
        const commits = known().commits;
        const [x, y] = [await resolve(a), await resolve(b)].map((sha) => commits.findIndex((c) => c.sha === sha));
        return x < 0 || y < 0 ? null : commits[Math.min(x, y)].sha;
      },
      firstParentCommits: async (from, to) => {
        const commits = known().commits;
        const lo = commits.findIndex((c) => c.sha === from);
        const hi = commits.findIndex((c) => c.sha === to);
        const line = lo < 0 ? [] : hi < lo ? [commits[lo]] : commits.slice(lo, hi + 1);
        return line.map((c) => ({ sha: c.sha, subject: c.subject ?? `commit ${c.sha.slice(0, 7)}`, author: 'A. Author', date: '2026-01-01T00:00:00Z' }));
      },
    };
  }
}

/** Published files by package name; a name it has none for answers nothing, `down` makes it throw. */
export class FakeRegistry implements PackageRegistry {
  readonly files = new Map<string, PublishedFile[]>();
  down = false;

  async publishedFiles(ref: RegistryRef): Promise<PublishedFile[]> {
    if (this.down) throw new Error('registry unreachable');
    return this.files.get(registryOf(ref).name) ?? [];
  }
}

/** The work queue: jobs wait in `queued` until a test takes them; ids make a second enqueue a no-op. */
export class FakeWorkQueue implements WorkQueue {
  private readonly ids = new Set<string>();
  /** Every job enqueued (first time only), in order. */
  readonly enqueued: Array<{ job: WorkJob; priority: number | undefined }> = [];
  /** Not taken yet. */
  queued: WorkJob[] = [];
  /** What failedJobs answers (jobs a test says the queue gave up on). */
  failed: FailedWork[] = [];

  async enqueue(job: WorkJob, priority?: number): Promise<void> {
    // As a worker takes it off Redis: JSON, then the catalogue's schema (a job of the wrong shape throws here).
    checkMessage(WorkJob, JSON.parse(JSON.stringify(job)), `enqueued ${job.kind} job`);
    const id = workJobId(job);
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.enqueued.push({ job, priority });
    this.queued.push(job);
  }

  async dropRunJobs(runId: string): Promise<number> {
    const before = this.queued.length;
    this.queued = this.queued.filter((job) => job.runId !== runId);
    return before - this.queued.length;
  }

  async failedJobs(): Promise<FailedWork[]> {
    return this.failed;
  }

  /** Removes and returns the queued jobs of this kind (and matching `where`). */
  take<K extends WorkJob['kind']>(kind: K, where: (job: Extract<WorkJob, { kind: K }>) => boolean = () => true): Array<Extract<WorkJob, { kind: K }>> {
    const taken = this.queued.filter((job): job is Extract<WorkJob, { kind: K }> => job.kind === kind && where(job as Extract<WorkJob, { kind: K }>));
    this.queued = this.queued.filter((job) => !taken.includes(job as Extract<WorkJob, { kind: K }>));
    return taken;
  }

}

/** A forge that records each request and answers from `answers` in turn (then 201); an Error answer is a network failure. */
export class FakeForge implements ForgeClient {
  readonly requests: StatusRequest[] = [];
  answers: Array<ForgeAnswer | Error> = [];

  async post(request: StatusRequest): Promise<ForgeAnswer> {
    this.requests.push(request);
    const answer = this.answers.shift() ?? { status: 201, headers: new Headers(), body: '{}' };
    if (answer instanceof Error) throw answer;
    return answer;
  }

  /** Requests other than statuses (check runs, comments), recorded apart so `requests` stays the statuses. */
  readonly sent: ForgeRequest[] = [];

  async send(request: ForgeRequest): Promise<ForgeAnswer> {
    this.sent.push(request);
    const answer = this.answers.shift() ?? { status: 201, headers: new Headers(), body: JSON.stringify({ id: this.sent.length }) };
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

export function fakePorts(): ServerPorts & { repos: FakeRepositories; registry: FakeRegistry; work: FakeWorkQueue } {
  return { repos: new FakeRepositories(), registry: new FakeRegistry(), work: new FakeWorkQueue() };
}
