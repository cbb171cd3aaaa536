/**
 * Builds an image through the engine's build API (the classic builder: a base image present locally is
 * used as it is, so a build from `FROM compat-runner:bookworm` needs no registry). Intermediate
 * containers are removed even when a step fails.
 */
import type Docker from 'dockerode';
import { Readable } from 'node:stream';
import type { ContainerEngine } from '../../common/docker/engine.js';
import { ImageBuildError, type ImageBuildSpec } from '../container/spec.js';

export async function buildImage(engine: ContainerEngine, spec: ImageBuildSpec): Promise<void> {
  const docker = engine as Docker;
  const memory = spec.limits.memoryMb * 1024 * 1024;
  const stream = await docker.buildImage(Readable.from([spec.context]), {
    t: spec.tag,
    dockerfile: spec.dockerfile,
    labels: spec.labels,
    rm: true,
    forcerm: true,
    pull: false,
    memory,
    memswap: memory,
    cpuperiod: 100_000,
    cpuquota: Math.round(spec.limits.cpus * 100_000),
    abortSignal: spec.signal,
  } as Docker.ImageBuildOptions);
  let failure: string | null = null;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.stream) spec.onOutput(event.stream);
        else if (event.status) spec.onOutput(`${event.status}\n`);
        if (event.error) {
          failure = event.errorDetail?.message ?? event.error;
          spec.onOutput(`${failure}\n`);
        }
      },
    );
  }).catch((error: Error) => {
    failure ??= error.message;
  });
  if (failure) throw new ImageBuildError(failure);
}
