/**
 * The worker's container adapter, as its callers import it (with common/docker/engine.ts, which
 * connects to the engine). Containers run with memory, CPU, pid, disk and time limits, all
 * capabilities dropped, no new privileges, and never the Docker socket. Every container carries labels
 * naming the worker, run and cell that own it, so a worker can remove what a dead one left behind.
 * Callers hold the engine as a {@link ContainerEngine}; only the files behind these exports (this
 * folder's, and workers/images/ for images) call dockerode, one job each.
 */
export { LABEL_CELL, LABEL_KIND, LABEL_PREFIX, LABEL_RUN, LABEL_WORKER } from './spec.js';
export type { ContainerOutcome, ContainerSpec, ContainerState, ContainerSummary, Limits, ServiceSpec } from './spec.js';

/** The engine's address is decided in one place; workers get their engine from there. */
export { createEngine, type ContainerEngine } from '../../common/docker/engine.js';

export { runContainer } from './run-container.js';
export { oomRecorded } from './limits.js';
export { execIn } from './exec.js';
export { ensureNetwork } from './networks.js';
export { buildImage } from '../images/image-build.js';
export { imageExists } from '../images/host-images.js';
export { containersWith, createService, inspectContainer, removeContainer, startContainer } from './containers.js';
