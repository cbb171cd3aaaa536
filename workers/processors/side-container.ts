/**
 * What every container of a cell side has in common, whichever step it runs (the install snapshot, the
 * candidate layer, the test command): the runner user, the consumer's limits and disk allowance, the
 * labels a janitor finds it by, and how a limit it hit is named in the side's reason.
 */
import { DEFAULT_RESOURCES, type ResolvedConsumer } from '../../common/matrix/load.js';
import type { CellJob } from '../../common/queue/jobs.js';
import { LABEL_CELL, LABEL_KIND, LABEL_PREFIX, LABEL_RUN, LABEL_WORKER, type ContainerOutcome, type ContainerSpec } from '../container/spec.js';
import { RUNNER_UID, type WorkerPorts } from '../ports.js';

type Resources = ResolvedConsumer['resources'];

/** A consumer's disk allowance; plans stored before `diskMb` existed have none, and get the default. */
export function diskLimitMb(resources: Resources): number {
  return resources.diskMb ?? DEFAULT_RESOURCES.diskMb;
}

/** The user, limits and labels of a container of `job`'s side; `kind` says which step it runs. */
export function sideContainerBase(
  job: CellJob,
  ports: Pick<WorkerPorts, 'config' | 'workerId'>,
  kind: string,
): Pick<ContainerSpec, 'user' | 'limits' | 'labels'> & { diskMb: number } {
  const { resources } = job.consumer;
  return {
    user: `${RUNNER_UID}:${RUNNER_UID}`,
    limits: resources,
    diskMb: diskLimitMb(resources),
    labels: { [LABEL_KIND]: kind, [LABEL_PREFIX]: ports.config.prefix, [LABEL_WORKER]: ports.workerId, [LABEL_RUN]: job.runId, [LABEL_CELL]: job.cellId },
  };
}

export function pidLimitReason(resources: Resources): string {
  return `hit the pid limit (${resources.pids} processes)`;
}

/** The limit a side's container hit, in words, or undefined; `forkRefused`: its output said a fork was refused. */
export function limitReason(outcome: Pick<ContainerOutcome, 'oomKilled' | 'diskExceeded' | 'pidLimitHit'>, resources: Resources, forkRefused = false): string | undefined {
  if (outcome.oomKilled) return `ran out of memory (limit ${resources.memoryMb} MB)`;
  if (outcome.diskExceeded) return `filled its disk (limit ${diskLimitMb(resources)} MB)`;
  if (outcome.pidLimitHit || forkRefused) return pidLimitReason(resources);
  return undefined;
}
