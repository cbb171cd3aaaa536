/**
 * The job catalogue: every message that crosses Redis, typed. Work flows server -> workers on the
 * `work` queue; everything a worker learns flows back on the `results` queue, which only the server
 * (the store's one writer) consumes. Job ids say what a job is, so enqueueing twice is a no-op.
 */
import type { Backend, DroppedTests, Side, SideStatus, TestOutcome } from '../types.js';
import type { ResolvedConsumer } from '../matrix/load.js';
import type { ImageRef } from '../matrix/schema.js';
import type { PublishedFile } from '../registry/published.js';

export interface BuildJob {
  kind: 'build';
  runId: string;
  side: Side;
  library: { name: string; repo: string; image: ImageRef; command: string; timeoutSeconds: number };
  ref: string;
  sha: string;
  version: string;
  /** Set when this side is the registry's published file: downloaded, not built. */
  published?: PublishedFile;
}

export interface CellJob {
  kind: 'cell';
  runId: string;
  cellId: string;
  side: Side;
  attempt: number;
  library: string;
  version: string;
  artifactKey: string;
  backend: Backend;
  consumer: ResolvedConsumer;
  /** Image of the database server for this backend (unused for sqlite). */
  databaseImage: string;
  /**
   * A confirming re-run's tests: the ids attempt 0 newly failed. With a `rerun` command, only these run
   * (falling back to the whole suite when it selects none of them).
   */
  rerunTests?: string[];
  /**
   * The failure-only ids (a hook's, a collection error's) `rerunTests` stand in for: a re-run that
   * reports one of them failing ran its selection, though none of the tests it selected shows.
   */
  rerunStandsFor?: string[];
  /**
   * A baseline side at attempt 0 that an earlier run tested with the same consumer, artifact, commands
   * and env: the worker checks what only its host knows (the consumer's commit, the image ids) against
   * `facts` and, when all hold, runs nothing and reports `reusedFrom`.
   */
  reuse?: { runId: string; facts: SideFacts };
}

/** What a side ran with that the server cannot see itself: the ground for reusing its result. */
export interface SideFacts {
  consumerSha: string;
  imageId: string;
  artifactDigest: string;
  /** The database server image's id; absent for sqlite. */
  databaseImageId?: string;
}

/** A bisect's build of one library commit (one per run and commit: the consumers' bisects share it). */
export interface BisectBuildJob extends Omit<BuildJob, 'kind' | 'side'> {
  kind: 'bisect-build';
}

/**
 * One bisect step: the regressed cell's candidate side against one commit's artifact. `attempt` counts
 * this bisect's earlier steps on the same commit (COMPAT_ATTEMPT), `seq` numbers the bisect's steps.
 */
export interface BisectStepJob extends Omit<CellJob, 'kind' | 'side'> {
  kind: 'bisect-step';
  side: 'candidate';
  seq: number;
  sha: string;
  /**
   * What a `rerun` command selects: the cell's confirmed newFailures, the tests a failure-only one hid
   * instead of it (common/test-evidence.ts). Empty: the whole suite.
   */
  tests: string[];
}

export type WorkJob = BuildJob | CellJob | BisectBuildJob | BisectStepJob;

/** Where a job queues: builds (a bisect's too) on their own lane (any worker builds), cells and bisect steps on their backend's. */
export type Lane = 'build' | Backend;
export function laneOf(job: WorkJob): Lane {
  return job.kind === 'build' || job.kind === 'bisect-build' ? 'build' : job.backend;
}

export interface SideResultPayload {
  status: SideStatus;
  durationMs: number;
  /** From the cell's start to its test command's start: what compat-matrix itself costs. */
  overheadMs: number | null;
  tests: TestOutcome[];
  /** What the side's JUnit reported past the side's allowance, not in `tests`. */
  dropped?: DroppedTests;
  reason?: string;
  exitCode?: number | null;
  /** Milliseconds per phase of the side (CONTRACT: `phases`). */
  phases?: Record<string, number>;
  facts?: SideFacts;
  /** The run whose result this baseline side reuses; the server copies it from there. */
  reusedFrom?: string;
}

export interface BuildDone {
  kind: 'build-done';
  runId: string;
  side: Side;
  ok: boolean;
  artifactKey?: string;
  /** Content digest of the artifact files (names and bytes): what baseline reuse compares. */
  artifactDigest?: string;
  files?: string[];
  reason?: string;
  durationMs: number;
}

export interface SideStarted {
  kind: 'side-started';
  runId: string;
  cellId: string;
  side: Side;
  attempt: number;
  worker: string;
  /** How long the job waited in its queue before this worker took it. */
  queuedMs?: number;
}

export interface SideDone {
  kind: 'side-done';
  runId: string;
  cellId: string;
  side: Side;
  attempt: number;
  /** The worker that ended the side: it is shown on the side whatever order its start and end are applied in. */
  worker?: string;
  result: SideResultPayload;
}

export interface BisectBuildDone {
  kind: 'bisect-build-done';
  runId: string;
  sha: string;
  ok: boolean;
  /** The build could not run (infrastructure), as opposed to the commit not building. */
  infra?: boolean;
  artifactKey?: string;
  reason?: string;
  durationMs: number;
}

export interface BisectStepDone {
  kind: 'bisect-step-done';
  runId: string;
  /** The bisect's consumer. */
  consumer: string;
  seq: number;
  result: SideResultPayload;
}

export type ResultMessage = BuildDone | SideStarted | SideDone | BisectBuildDone | BisectStepDone;

/** Custom BullMQ ids may not contain ":"; these are built from validated names only. */
export function workJobId(job: WorkJob): string {
  switch (job.kind) {
    case 'build':
      return `build-${job.runId}-${job.side}`;
    case 'cell':
      return `cell-${job.runId}-${job.cellId}-${job.side}-${job.attempt}`;
    case 'bisect-build':
      return `bisect-build-${job.runId}-${job.sha}`;
    case 'bisect-step':
      return `bisect-step-${job.runId}-${job.consumer.name}-${job.seq}`;
  }
}

export function resultJobId(message: ResultMessage): string {
  switch (message.kind) {
    case 'build-done':
      return `built-${message.runId}-${message.side}`;
    case 'side-started':
      // One per worker that takes the side: a side handed to another worker after its first one died is
      // announced again (the first start's id is kept a day, and an id kept is an id dropped).
      return `started-${message.runId}-${message.cellId}-${message.side}-${message.attempt}-${message.worker}`;
    case 'side-done':
      return `done-${message.runId}-${message.cellId}-${message.side}-${message.attempt}`;
    case 'bisect-build-done':
      return `bisect-built-${message.runId}-${message.sha}`;
    case 'bisect-step-done':
      return `bisect-stepped-${message.runId}-${message.consumer}-${message.seq}`;
  }
}
