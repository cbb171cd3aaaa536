/**
 * What the server's core (planner, orchestrator, bisector, webhook handling, status reporter) needs from
 * the outside world, injected: so it can be driven by calling it, without Redis, Docker or git, and
 * unit-tested with the small fakes in server/testing/. server/server.ts wires the real adapters once
 * (server/adapters.ts: git mirrors, the registries over HTTP, the forges over fetch; the work queue).
 */
import type { WorkJob } from '../common/queue/jobs.js';
import type { PublishedFile, RegistryRef } from '../common/registry/published.js';
import type { ForgeRequest } from './forges/types.js';
import type { StatusRequest } from './status/forges.js';

/** A library's repository, through the server's mirror of it. Failures are `GitError`s. */
export interface LibraryRepository {
  /** Fetches what is new; `force` even when the mirror fetched a moment ago. */
  update(force?: boolean): Promise<void>;
  tags(): Promise<Array<{ tag: string; sha: string }>>;
  /** The commit `ref` names, or null when the mirror does not know it. */
  resolve(ref: string): Promise<string | null>;
  /** The commit `ref` names, fetching once if the mirror does not know it yet; throws when none does. */
  resolveFetching(ref: string): Promise<string>;
  /** The best common ancestor of two commits (a PR's head and its target branch), or null when they share none. */
  mergeBase(a: string, b: string): Promise<string | null>;
  /** First-parent commits from `from` (included) to `to`, oldest first. */
  firstParentCommits(from: string, to: string): Promise<Array<{ sha: string; subject: string; author: string; date: string }>>;
}

/** The libraries' repositories, by URL or path (matrix.yaml `repo:`). */
export interface GitRepositories {
  open(repo: string): LibraryRepository;
}

/** The package registries a library's published versions come from (matrix.yaml `registry:`). */
export interface PackageRegistry {
  /** Every installable file the registry publishes for `ref`, lowest version first. */
  publishedFiles(ref: RegistryRef): Promise<PublishedFile[]>;
}

/** A work job the queue gave up on (out of attempts, or unrecoverable). */
export interface FailedWork {
  data: WorkJob;
  reason: string | undefined;
}

/** Where work goes to the workers. Job ids say what a job is: enqueueing one twice is a no-op. */
export interface WorkQueue {
  enqueue(job: WorkJob, priority?: number): Promise<void>;
  /** Drops a run's queued jobs (cells, builds, bisect steps); returns how many. */
  dropRunJobs(runId: string): Promise<number>;
  /** Jobs that failed for good: their side or build still needs an end. */
  failedJobs(): Promise<FailedWork[]>;
}

/** A forge's API answer, as the retry rules read it. */
export interface ForgeAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** Sends requests to a forge's API; a request that gets no answer throws. */
export interface ForgeClient {
  /** A commit status. */
  post(request: StatusRequest, signal: AbortSignal): Promise<ForgeAnswer>;
  /** Any request a Forge built (check runs, comments, permissions). */
  send(request: ForgeRequest, signal: AbortSignal): Promise<ForgeAnswer>;
}

/** The ports the server's core runs on. */
export interface ServerPorts {
  repos: GitRepositories;
  registry: PackageRegistry;
  work: WorkQueue;
}
