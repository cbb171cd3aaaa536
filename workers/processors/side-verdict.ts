/**
 * What a side's test container's end means: a test result (passed, failed, timeout) or an infrastructure
 * failure the queue retries. Pure: it reads what happened (the container's outcome, what the phase
 * script said, the tests JUnit reported) and decides, so each branch is tested without a container.
 */
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import type { Side, TestOutcome } from '../../common/types.js';
import type { ContainerOutcome } from '../container/spec.js';
import { MIGRATE_FAILED, ROUND_TRIP_FAILED } from '../../common/schema/diff.js';
import { MIGRATE_FAILED_EXIT, ROUND_TRIP_FAILED_EXIT, type Phase } from './phases.js';
import { limitReason, pidLimitReason } from './side-container.js';

export interface SideHappened {
  outcome: Pick<ContainerOutcome, 'exitCode' | 'oomKilled' | 'timedOut' | 'aborted' | 'diskExceeded' | 'pidLimitHit'>;
  /** What the phase script reported on stdout (PhaseTracker). */
  script: { phase: Phase | null; exitStatus: number | null; forkRefused: boolean; migrateOutput?: string };
  tests: Pick<TestOutcome, 'status'>[];
  /** What reading the JUnit files ran into, logged before the verdict's own notes. */
  problems: string[];
  consumer: Pick<ResolvedConsumer, 'resources' | 'timeoutSeconds'>;
  side: Side;
}

export type SideVerdict =
  | { kind: 'result'; status: 'passed' | 'failed' | 'timeout'; reason?: string; notes: string[] }
  /** Not a test result: thrown as a retryable InfraError with this message. */
  | { kind: 'retry'; message: string; notes: string[] };

/** `notes`: lines for the side's log, in order, written before the result is returned or thrown. */
export function sideVerdict(happened: SideHappened): SideVerdict {
  const { outcome, script, consumer } = happened;
  if (outcome.aborted) return { kind: 'retry', message: 'cell aborted (worker shutting down)', notes: [] };
  const notes = happened.problems.map((problem) => `[compat-matrix] ${problem}\n`);
  const pidReason = outcome.pidLimitHit || script.forkRefused ? pidLimitReason(consumer.resources) : undefined;
  const limit = limitReason(outcome, consumer.resources, script.forkRefused);
  if (outcome.diskExceeded) notes.push(`\n[compat-matrix] killed: ${limit}\n`);
  if (outcome.timedOut) {
    notes.push(`\n[compat-matrix] killed after the ${consumer.timeoutSeconds} s timeout\n`);
    return { kind: 'result', status: 'timeout', reason: `timed out after ${consumer.timeoutSeconds} s${pidReason ? `; ${pidReason}` : ''}`, notes };
  }
  // Ended by a signal, by no limit of ours, before the script could report how its step ended (its
  // own exits are 201, 202 and the test command's status after the exit marker): the engine stopped
  // it (restart, `docker kill`). Retried, never taken for a test result.
  const ownExit = script.exitStatus !== null || [201, 202, MIGRATE_FAILED_EXIT, ROUND_TRIP_FAILED_EXIT].includes(outcome.exitCode ?? -1);
  const stoppedFromOutside = !ownExit && !outcome.oomKilled && !outcome.diskExceeded && outcome.exitCode !== null && outcome.exitCode >= 128;
  if (stoppedFromOutside) {
    return {
      kind: 'retry',
      message: `the test container was stopped from outside (exit ${outcome.exitCode}) before its suite ended: Docker engine restart or docker kill`,
      notes,
    };
  }
  if (script.phase === 'install' || script.phase === null) {
    // The consumer's own dependencies would not install: the registry or the image, not the library.
    return { kind: 'retry', message: `install step failed (exit ${outcome.exitCode})${limit ? `: ${limit}` : ''}`, notes };
  }
  if (script.phase === 'install-candidate') {
    return { kind: 'result', status: 'failed', reason: limit ?? `installing the ${happened.side} artifact failed (exit ${outcome.exitCode})`, notes };
  }
  if (script.phase === 'downgrade') {
    const output = script.migrateOutput?.trim();
    return { kind: 'result', status: 'failed', reason: limit ?? `${ROUND_TRIP_FAILED} (exit ${outcome.exitCode})${output ? `: ${output}` : ''}`, notes };
  }
  if (script.phase === 'migrate') {
    // The consumer's migrations against this side's library: a failure is the library's evidence.
    const output = script.migrateOutput?.trim();
    return { kind: 'result', status: 'failed', reason: limit ?? `${MIGRATE_FAILED} (exit ${outcome.exitCode})${output ? `: ${output}` : ''}`, notes };
  }
  const anyFailed = happened.tests.some((t) => t.status === 'failed');
  if (outcome.exitCode === 0 && !anyFailed) return { kind: 'result', status: 'passed', notes };
  return {
    kind: 'result',
    status: 'failed',
    reason: limit ?? (outcome.exitCode === 0 ? 'JUnit reports failed tests' : `test command exited with ${outcome.exitCode}`),
    notes,
  };
}
