/**
 * The job catalogue: every message that crosses Redis, typed. Work flows server -> workers on the
 * `work` queue; everything a worker learns flows back on the `results` queue, which only the server
 * (the store's one writer) consumes. Job ids say what a job is, so enqueueing twice is a no-op.
 */
import { z } from 'zod';
import { BACKENDS, SIDES } from '../types.js';
import { DroppedTestsSchema, SideStatusSchema, TestOutcomeSchema } from '../test-outcome.js';
import { ResolvedConsumerSchema, ResolvedImage } from '../matrix/schema.js';
import { PublishedFileSchema } from '../registry/published.js';
import { zodProblem } from '../zod-problem.js';
import { SchemaDocument } from '../schema/document.js';
import { SchemaChange } from '../schema/diff.js';
import type { Backend } from '../types.js';

// Each message is a zod schema, its type inferred: one definition, checked where a job or a result is
// taken off Redis (common/queue/bullmq.ts), as the store checks what it reads back.

const Side = z.enum(SIDES);
const BackendName = z.enum(BACKENDS);

export const BuildJob = z.object({
  kind: z.literal('build'),
  runId: z.string(),
  side: Side,
  library: z.object({ name: z.string(), repo: z.string(), image: ResolvedImage, command: z.string(), timeoutSeconds: z.number() }),
  ref: z.string(),
  /** The commit built; empty for a published file. */
  sha: z.string(),
  version: z.string(),
  /** Set when this side is the registry's published file: downloaded, not built (keyed by its digest). */
  published: PublishedFileSchema.optional(),
});
export type BuildJob = z.infer<typeof BuildJob>;

/** What a side ran with that the server cannot see itself: the ground for reusing its result. */
export const SideFacts = z.object({
  consumerSha: z.string(),
  imageId: z.string(),
  artifactDigest: z.string(),
  /** The database server image's id; absent for sqlite. */
  databaseImageId: z.string().optional(),
});
export type SideFacts = z.infer<typeof SideFacts>;

export const CellJob = z.object({
  kind: z.literal('cell'),
  runId: z.string(),
  cellId: z.string(),
  side: Side,
  attempt: z.number().int().nonnegative(),
  library: z.string(),
  version: z.string(),
  artifactKey: z.string(),
  backend: BackendName,
  consumer: ResolvedConsumerSchema,
  /** Image of the database server for this backend (unused for sqlite). */
  databaseImage: z.string(),
  /**
   * A confirming re-run's tests: the ids attempt 0 newly failed. With a `rerun` command, only these run
   * (falling back to the whole suite when it selects none of them).
   */
  rerunTests: z.array(z.string()).optional(),
  /**
   * The failure-only ids (a hook's, a collection error's) `rerunTests` stand in for: a re-run that
   * reports one of them failing ran its selection, though none of the tests it selected shows.
   */
  rerunStandsFor: z.array(z.string()).optional(),
  /**
   * A baseline side at attempt 0 that an earlier run tested with the same consumer, artifact, commands
   * and env: the worker checks what only its host knows (the consumer's commit, the image ids) against
   * `facts` and, when all hold, runs nothing and reports `reusedFrom`.
   */
  reuse: z.object({ runId: z.string(), facts: SideFacts }).optional(),
});
export type CellJob = z.infer<typeof CellJob>;

/** A bisect's build of one library commit (one per run and commit: the consumers' bisects share it). */
export const BisectBuildJob = BuildJob.omit({ kind: true, side: true }).extend({ kind: z.literal('bisect-build') });
export type BisectBuildJob = z.infer<typeof BisectBuildJob>;

/**
 * One bisect step: the regressed cell's candidate side against one commit's artifact. `attempt` counts
 * this bisect's earlier steps on the same commit (COMPAT_ATTEMPT), `seq` numbers the bisect's steps.
 */
export const BisectStepJob = CellJob.omit({ kind: true, side: true }).extend({
  kind: z.literal('bisect-step'),
  side: z.literal('candidate'),
  seq: z.number().int(),
  sha: z.string(),
  /**
   * What a `rerun` command selects: the cell's confirmed newFailures, the tests a failure-only one hid
   * instead of it (common/test-evidence.ts). Empty: the whole suite.
   */
  tests: z.array(z.string()),
});
export type BisectStepJob = z.infer<typeof BisectStepJob>;

export const WorkJob = z.discriminatedUnion('kind', [BuildJob, CellJob, BisectBuildJob, BisectStepJob]);
export type WorkJob = z.infer<typeof WorkJob>;

/** Where a job queues: builds (a bisect's too) on their own lane (any worker builds), cells and bisect steps on their backend's. */
export type Lane = 'build' | Backend;
export function laneOf(job: WorkJob): Lane {
  return job.kind === 'build' || job.kind === 'bisect-build' ? 'build' : job.backend;
}

export const SideResultPayload = z.object({
  status: SideStatusSchema,
  durationMs: z.number(),
  /** From the cell's start to its test command's start: what compat-matrix itself costs. */
  overheadMs: z.number().nullable(),
  tests: z.array(TestOutcomeSchema),
  /** What the side's JUnit reported past the side's allowance, not in `tests`. */
  dropped: DroppedTestsSchema.optional(),
  reason: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  /** Milliseconds per phase of the side (CONTRACT: `phases`). */
  phases: z.record(z.string(), z.number()).optional(),
  facts: SideFacts.optional(),
  /** The run whose result this baseline side reuses; the server copies it from there. */
  reusedFrom: z.string().optional(),
  /** The schema the consumer's migrations built on this side (`schema:`), and its `sql:` output. */
  schema: z.object({ document: SchemaDocument, ddl: z.string().optional(), roundTrip: z.array(SchemaChange).optional() }).optional(),
});
export type SideResultPayload = z.infer<typeof SideResultPayload>;

export const BuildDone = z.object({
  kind: z.literal('build-done'),
  runId: z.string(),
  side: Side,
  ok: z.boolean(),
  artifactKey: z.string().optional(),
  /** Content digest of the artifact files (names and bytes): what baseline reuse compares. */
  artifactDigest: z.string().optional(),
  files: z.array(z.string()).optional(),
  reason: z.string().optional(),
  durationMs: z.number(),
});
export type BuildDone = z.infer<typeof BuildDone>;

/** Which side of which cell, on which attempt, a worker's message is about. */
const SideOfCell = z.object({
  runId: z.string(),
  cellId: z.string(),
  side: Side,
  attempt: z.number().int(),
});

export const SideStarted = SideOfCell.extend({
  kind: z.literal('side-started'),
  worker: z.string(),
  /** How long the job waited in its queue before this worker took it. */
  queuedMs: z.number().optional(),
});
export type SideStarted = z.infer<typeof SideStarted>;

export const SideDone = SideOfCell.extend({
  kind: z.literal('side-done'),
  /** The worker that ended the side: it is shown on the side whatever order its start and end are applied in. */
  worker: z.string().optional(),
  result: SideResultPayload,
});
export type SideDone = z.infer<typeof SideDone>;

export const BisectBuildDone = z.object({
  kind: z.literal('bisect-build-done'),
  runId: z.string(),
  sha: z.string(),
  ok: z.boolean(),
  /** The build could not run (infrastructure), as opposed to the commit not building. */
  infra: z.boolean().optional(),
  artifactKey: z.string().optional(),
  reason: z.string().optional(),
  durationMs: z.number(),
});
export type BisectBuildDone = z.infer<typeof BisectBuildDone>;

export const BisectStepDone = z.object({
  kind: z.literal('bisect-step-done'),
  runId: z.string(),
  /** The bisect's consumer. */
  consumer: z.string(),
  seq: z.number().int(),
  result: SideResultPayload,
});
export type BisectStepDone = z.infer<typeof BisectStepDone>;

export const ResultMessage = z.discriminatedUnion('kind', [BuildDone, SideStarted, SideDone, BisectBuildDone, BisectStepDone]);
export type ResultMessage = z.infer<typeof ResultMessage>;

/** A message of the wrong shape taken off a queue: names the queue's job and the field at fault. */
export class MessageShapeError extends Error {
  constructor(where: string, error: z.ZodError) {
    super(zodProblem(where, error));
    this.name = 'MessageShapeError';
  }
}

/** What a queue handed over, checked against its schema; fields the catalogue does not name are dropped (no code reads them). */
export function checkMessage<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new MessageShapeError(where, result.error);
  return result.data;
}

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
