/**
 * Whether a baseline side may take an earlier run's result instead of running: the server proposes one
 * that had the same consumer, artifact, commands, env and backend; only the worker host can tell whether
 * the consumer's commit and the images are still the ones it ran with.
 */
import type { CellJob, SideFacts } from '../../common/queue/jobs.js';

/** The run to reuse the result of, or null to run the side. */
export function reusableBaseline(job: Pick<CellJob, 'side' | 'attempt' | 'reuse'>, facts: SideFacts): string | null {
  // Confirming re-runs always run both sides anew: a reused baseline never confirms a regression.
  if (!job.reuse || job.side !== 'baseline' || job.attempt !== 0) return null;
  const then = job.reuse.facts;
  const same =
    then.consumerSha === facts.consumerSha &&
    then.imageId === facts.imageId &&
    then.artifactDigest === facts.artifactDigest &&
    (then.databaseImageId ?? null) === (facts.databaseImageId ?? null);
  return same ? job.reuse.runId : null;
}
