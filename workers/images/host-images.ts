/**
 * Images the workers make themselves (install snapshots): committed from a container, found and removed
 * by label, and whether the host has an image. Nothing here removes an image it did not label.
 */
import type Docker from 'dockerode';
import type { ImageCommit } from '../container/spec.js';
import { isConflict, isNotFound, type ContainerEngine } from '../../common/docker/engine.js';

export interface ImageSummary {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  /** Bytes of the whole image, its base included. */
  size: number;
  createdMs: number;
}

/** The image's id (`sha256:...`), or null when the host has no such image. */
export async function imageIdOf(engine: ContainerEngine, image: string): Promise<string | null> {
  const docker = engine as Docker;
  try {
    const info = await docker.getImage(image).inspect();
    return info.Id;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Whether the host has the image; an engine that does not answer throws. */
export async function imageExists(engine: ContainerEngine, image: string): Promise<boolean> {
  const docker = engine as Docker;
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    // Only "no such image" means missing; an engine that does not answer is a retryable failure, not a
    // missing image (which is final).
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Env and size of an image, for a commit that must not keep a container's own env. */
export async function imageConfigOf(engine: ContainerEngine, image: string): Promise<{ env: string[]; size: number }> {
  const docker = engine as Docker;
  const info = await docker.getImage(image).inspect();
  return { env: info.Config?.Env ?? [], size: info.Size ?? 0 };
}

/**
 * Commits a stopped container as `repo:tag`. The engine merges the container's own config into the
 * image's (its env included: a secret given to an install would be baked in), so `env` is the image's
 * whole env as it must be and `blank` lists the container's other variables, committed empty.
 */
export async function commitImage(
  container: Docker.Container,
  target: ImageCommit,
): Promise<string> {
  const known = new Set(target.env.map((e) => e.slice(0, e.indexOf('='))));
  const env = [...target.env, ...target.blank.filter((k) => !known.has(k)).map((k) => `${k}=`)];
  const result = (await container.commit({
    _query: { container: container.id, repo: target.repo, tag: target.tag, pause: false },
    _body: { Env: env, Labels: target.labels, Cmd: ['/bin/sh'], Entrypoint: null },
  } as unknown as Record<string, unknown>)) as { Id?: string };
  return result.Id ?? '';
}

/** Images carrying all these labels, tagged or not. */
export async function imagesWith(engine: ContainerEngine, labels: Record<string, string>): Promise<ImageSummary[]> {
  const docker = engine as Docker;
  const filters = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const list = await docker.listImages({ all: false, filters: { label: filters } } as Docker.ListImagesOptions);
  return list.map((i) => ({
    id: i.Id,
    tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    labels: i.Labels ?? {},
    size: i.Size,
    createdMs: i.Created * 1000,
  }));
}

/**
 * Removes an image by id. False when a container still uses it (the engine refuses: 409) or it is
 * already gone; never forced, so a running side keeps its image.
 */
export async function removeImage(engine: ContainerEngine, id: string): Promise<boolean> {
  const docker = engine as Docker;
  try {
    await docker.getImage(id).remove({ force: false, noprune: false });
    return true;
  } catch (error) {
    if (isConflict(error) || isNotFound(error)) return false;
    throw error;
  }
}
