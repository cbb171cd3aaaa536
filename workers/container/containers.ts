/**
 * Containers by id, name or label: the long-lived service containers (database servers) created and
 * started, any container inspected, listed or removed. A cell's test container is run-container.ts's.
 */
import type Docker from 'dockerode';
import { isNotFound, type ContainerEngine } from '../../common/docker/engine.js';
import { containerLimits } from './limits.js';
import type { ContainerState, ContainerSummary, ServiceSpec } from './spec.js';

/** Removes a container, running or not, with its anonymous volumes. */
export async function removeContainer(engine: ContainerEngine, id: string): Promise<void> {
  await (engine as Docker).getContainer(id).remove({ force: true, v: true });
}

export async function startContainer(engine: ContainerEngine, id: string): Promise<void> {
  await (engine as Docker).getContainer(id).start();
}

/** The container of this name or id, or undefined when the engine has none (other failures throw). */
export async function inspectContainer(engine: ContainerEngine, nameOrId: string): Promise<ContainerState | undefined> {
  const info = await (engine as Docker).getContainer(nameOrId).inspect().catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  return info && { id: info.Id, image: info.Config.Image, env: info.Config.Env ?? [], running: info.State.Running };
}

/** Creates (does not start) a service container; returns its id. */
export async function createService(engine: ContainerEngine, spec: ServiceSpec): Promise<string> {
  const container = await (engine as Docker).createContainer({
    ...(spec.name === undefined ? {} : { name: spec.name }),
    Image: spec.image,
    Env: spec.env,
    Labels: spec.labels,
    HostConfig: {
      ...containerLimits(spec.limits),
      NetworkMode: spec.network,
      ...(spec.restartUnlessStopped ? { RestartPolicy: { Name: 'unless-stopped' } } : {}),
      Tmpfs: spec.tmpfs,
    },
  });
  return container.id;
}

/** Containers with all these labels, running or not. */
export async function containersWith(engine: ContainerEngine, labels: Record<string, string | undefined>): Promise<ContainerSummary[]> {
  const docker = engine as Docker;
  const filters = Object.entries(labels).map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
  return docker.listContainers({ all: true, filters: { label: filters } });
}
