/**
 * The Docker engine connection: the one place that knows where the engine listens. Workers build
 * containers on the client (workers/container/, through docker.ts); the server and the CLI only need to know
 * whether the engine answers, or hand the client to the image builder.
 */
import Docker from 'dockerode';

/**
 * A connection to the engine as callers hold it: handed to the adapters (workers/container/, images/),
 * which alone call into the client.
 */
export interface ContainerEngine {
  /** Resolves when the engine answers. */
  ping(): Promise<unknown>;
}

/** A client for the engine at DOCKER_SOCKET (default /var/run/docker.sock): for the adapters, and tests. */
export function createDocker(): Docker {
  return new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
}

/** The engine at DOCKER_SOCKET, as callers hold it. */
export function createEngine(): ContainerEngine {
  return createDocker();
}

/** Resolves when the engine answers a ping; rejects when it does not. */
export async function pingEngine(engine: ContainerEngine = createEngine()): Promise<void> {
  await engine.ping();
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
