/**
 * A bisect's work on a worker: the build of one library commit and one step (the regressed cell's
 * candidate side against that commit's artifact). Both are the ordinary build and cell-side processors
 * with a log and workspace of their own; artifacts are keyed by commit, so a commit a run or another
 * bisect built already is not built again.
 */
import type { BisectBuildDone, BisectBuildJob, BisectStepDone, BisectStepJob } from '../../common/queue/jobs.js';
import { bisectBuildLogKey, bisectStepLogKey } from '../../common/queue/keys.js';
import { selectsTests } from '../../common/runners/kinds.js';
import type { WorkerPorts } from '../ports.js';
import { buildArtifact } from './build-artifact.js';
import { runCellSide } from './run-cell.js';

export async function runBisectJob(job: BisectBuildJob | BisectStepJob, ports: WorkerPorts, signal?: AbortSignal): Promise<BisectBuildDone | BisectStepDone> {
  if (job.kind === 'bisect-build') {
    const done = await buildArtifact({ ...job, kind: 'build', side: 'candidate' }, ports, signal, {
      logKey: bisectBuildLogKey(ports.config.prefix, job.runId, job.sha),
      name: `bisect-build-${job.runId}-${job.sha.slice(0, 12)}`,
    });
    return { kind: 'bisect-build-done', runId: job.runId, sha: job.sha, ok: done.ok, artifactKey: done.artifactKey, reason: done.reason, durationMs: done.durationMs };
  }
  // A consumer with a `rerun` command or a runner preset runs only the tests that decide the step (the
  // whole suite when that selects none).
  const targeted = (job.consumer.rerun || selectsTests(job.consumer.runner)) && job.tests.length;
  const cellJob = { ...job, kind: 'cell' as const, ...(targeted ? { rerunTests: job.tests } : {}) };
  const result = await runCellSide(cellJob, ports, signal, {
    logKey: bisectStepLogKey(ports.config.prefix, job.runId, job.consumer.name, job.seq),
  });
  return { kind: 'bisect-step-done', runId: job.runId, consumer: job.consumer.name, seq: job.seq, result };
}

/** What a bisect job that failed for good (out of retries, or deterministic) reports. */
export function bisectJobFailed(job: BisectBuildJob | BisectStepJob, reason: string): BisectBuildDone | BisectStepDone {
  return job.kind === 'bisect-build'
    ? { kind: 'bisect-build-done', runId: job.runId, sha: job.sha, ok: false, infra: true, reason, durationMs: 0 }
    : {
        kind: 'bisect-step-done',
        runId: job.runId,
        consumer: job.consumer.name,
        seq: job.seq,
        result: { status: 'error', durationMs: 0, overheadMs: null, tests: [], reason },
      };
}
