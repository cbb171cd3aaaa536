/**
 * The job catalogue: every message that crosses Redis, typed. Work flows server -> workers on the
 * `work` queue; everything a worker learns flows back on the `results` queue, which only the server
 * (the store's one writer) consumes. Job ids say what a job is, so enqueueing twice is a no-op.
 */
import type { Backend, Side, SideStatus, TestOutcome } from '../types.js';
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
}

export type WorkJob = BuildJob | CellJob;

/** Where a job queues: builds on their own lane (any worker builds), cells on their backend's. */
export type Lane = 'build' | Backend;
export function laneOf(job: WorkJob): Lane {
  return job.kind === 'build' ? 'build' : job.backend;
}

export interface SideResultPayload {
  status: SideStatus;
  durationMs: number;
  /** From the cell's start to its test command's start: what compat-matrix itself costs. */
  overheadMs: number | null;
  tests: TestOutcome[];
  reason?: string;
  exitCode?: number | null;
  /** Milliseconds per phase of the side (CONTRACT: `phases`). */
  phases?: Record<string, number>;
}

export interface BuildDone {
  kind: 'build-done';
  runId: string;
  side: Side;
  ok: boolean;
  artifactKey?: string;
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
  result: SideResultPayload;
}

export type ResultMessage = BuildDone | SideStarted | SideDone;

/** Custom BullMQ ids may not contain ":"; these are built from validated names only. */
export function workJobId(job: WorkJob): string {
  return job.kind === 'build'
    ? `build-${job.runId}-${job.side}`
    : `cell-${job.runId}-${job.cellId}-${job.side}-${job.attempt}`;
}

export function resultJobId(message: ResultMessage): string {
  switch (message.kind) {
    case 'build-done':
      return `built-${message.runId}-${message.side}`;
    case 'side-started':
      return `started-${message.runId}-${message.cellId}-${message.side}-${message.attempt}`;
    case 'side-done':
      return `done-${message.runId}-${message.cellId}-${message.side}-${message.attempt}`;
  }
}

export function logKey(prefix: string, runId: string, cellId: string, side: Side, attempt: number): string {
  return `${prefix}:log:${runId}:${cellId}:${side}:${attempt}`;
}

export function artifactRedisKey(prefix: string, artifactKey: string): string {
  return `${prefix}:artifact:${artifactKey}`;
}
