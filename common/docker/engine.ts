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

/** The HTTP status the engine answered a failed call with (dockerode puts it on the error), if any. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine has no such container, image or network (404). */
export const isNotFound = (error: unknown): boolean => engineStatus(error) === 404;

/** The engine refused because of another object's state (409): a name taken, an image in use. */
export const isConflict = (error: unknown): boolean => engineStatus(error) === 409;
