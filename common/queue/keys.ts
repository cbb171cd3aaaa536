/**
 * Every Redis key compat-matrix names itself, in one place: each lives under the deployment's prefix
 * (COMPAT_PREFIX), so a test stack or a second deployment shares a Redis without touching these.
 * BullMQ keeps its own keys (`PREFIX:QUEUE:...`, the queues named in common/queue/bullmq.ts); none here
 * collides with a queue name (`work`, `work-<backend>`, `results`).
 */
import type { Side } from '../types.js';

/** Every key of a deployment, as a SCAN pattern. */
export function prefixPattern(prefix: string): string {
  return `${prefix}:*`;
}

/** The log stream of a cell side's attempt. */
export function logKey(prefix: string, runId: string, cellId: string, side: Side, attempt: number): string {
  return `${prefix}:log:${runId}:${cellId}:${side}:${attempt}`;
}

/** The log of a bisect's build of one commit. */
export function bisectBuildLogKey(prefix: string, runId: string, sha: string): string {
  return `${prefix}:log:${runId}:bisect-build:${sha}`;
}

/** The log of one bisect step. */
export function bisectStepLogKey(prefix: string, runId: string, consumer: string, seq: number): string {
  return `${prefix}:log:${runId}:bisect:${consumer}:${seq}`;
}

/** A built artifact's files (a hash: file name to bytes). */
export function artifactRedisKey(prefix: string, artifactKey: string): string {
  return `${prefix}:artifact:${artifactKey}`;
}

/** The matrix's resource limits as the server last published them. */
export function matrixNeedsKey(prefix: string): string {
  return `${prefix}:matrix-needs`;
}

/** A run's cancel flag, as workers see it. */
export function cancelledKey(prefix: string, runId: string): string {
  return `${prefix}:cancelled:${runId}`;
}

/** A worker's heartbeat: present while it is alive. */
export function workerHeartbeatKey(prefix: string, workerId: string): string {
  return `${prefix}:worker:${workerId}`;
}

/** Every worker's heartbeat, as a SCAN pattern. */
export function workerHeartbeatPattern(prefix: string): string {
  return `${prefix}:worker:*`;
}

/** The cell databases running cells hold (a hash: database name to its owner's JSON). */
export function databasesKey(prefix: string): string {
  return `${prefix}:databases`;
}

/** Spare databases made ahead and not yet taken by a cell (a hash like {@link databasesKey}'s). */
export function spareDatabasesKey(prefix: string): string {
  return `${prefix}:databases:spare`;
}
