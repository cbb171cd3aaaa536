/**
 * The Docker engine connection: the one place that knows where the engine listens. Workers build
 * containers on the client (workers/container/docker.ts); the server and the CLI only need to know
 * whether the engine answers, or hand the client to the image builder.
 */
import Docker from 'dockerode';

/** A client for the engine at DOCKER_SOCKET (default /var/run/docker.sock). */
export function createDocker(): Docker {
  return new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
}

/** Resolves when the engine answers a ping; rejects when it does not. */
export async function pingEngine(docker: Docker = createDocker()): Promise<void> {
  await docker.ping();
}
