/**
 * What running a container means to a worker, without dockerode: the spec a processor hands to the
 * container runner port, the outcome it gets back, and the labels that say who owns a container.
 */

export const LABEL_KIND = 'compat.kind';
export const LABEL_WORKER = 'compat.worker';
export const LABEL_RUN = 'compat.run';
export const LABEL_CELL = 'compat.cell';
/** The queue prefix of the deployment that made a container: a janitor sweeps only its own. */
export const LABEL_PREFIX = 'compat.prefix';

export interface Limits {
  memoryMb: number;
  cpus: number;
  pids: number;
}

export interface ContainerSpec {
  name?: string;
  image: string;
  /** argv; commands from matrix.yaml travel in env variables, never spliced into this. */
  cmd: string[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  binds: string[];
  /** A Docker network name, or `container:<id>` to share a database server's network namespace. */
  networkMode: string;
  limits: Limits;
  timeoutMs: number;
  labels: Record<string, string>;
  /** Receives stdout and stderr as they arrive, each chunk with the stream it came on. */
  onOutput: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
  /** Size of the writable /tmp. */
  tmpMb?: number;
  /**
   * Disk the container may fill: its writable layer plus these host directories (its bind mounts).
   * Watched while it runs; past the limit it is killed and the outcome says so.
   */
  disk?: { limitMb: number; dirs: string[] };
}

export interface ContainerOutcome {
  exitCode: number | null;
  oomKilled: boolean;
  timedOut: boolean;
  aborted: boolean;
  /** Killed for writing more than `disk.limitMb`. */
  diskExceeded: boolean;
  /** A fork was refused at the pids limit at least once (the kernel's own count, where it can be read). */
  pidLimitHit: boolean;
  durationMs: number;
}

/** Why an image build failed, with the engine's own words; the build output went to `onOutput`. */
export class ImageBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageBuildError';
  }
}

export interface ImageBuildSpec {
  /** The build context as a tar archive. */
  context: Buffer;
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  tag: string;
  labels: Record<string, string>;
  limits: Limits;
  onOutput: (text: string) => void;
  signal?: AbortSignal;
}
