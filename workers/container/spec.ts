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

export type { ContainerEngine } from '../../common/docker/engine.js';

/** A long-lived container to create (a database server): what it runs, its limits and its network. */
export interface ServiceSpec {
  /** A fixed name, or none for one the engine makes up. */
  name?: string;
  image: string;
  env: string[];
  labels: Record<string, string>;
  limits: Limits;
  network: string;
  /** Restarted by the engine after it restarts, unless stopped. */
  restartUnlessStopped?: boolean;
  /** Mount points and their tmpfs options. */
  tmpfs: Record<string, string>;
}

/** A container in a listing, as the engine names its fields. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  /** `running`, `exited`... */
  State: string;
}

/** A container found by name or id. */
export interface ContainerState {
  id: string;
  image: string;
  env: string[];
  running: boolean;
}

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
  /** Size of the writable /tmp; 0: no tmpfs, /tmp is the image's (an install snapshot keeps what was put there). */
  tmpMb?: number;
  /** Runs once the container exists, before it starts (e.g. to copy files into it). */
  beforeStart?: (container: CreatedContainer) => Promise<void>;
  /** Runs after it exited by itself (not killed by us), before it is removed (e.g. to commit it as an image). */
  afterExit?: (container: ExitedContainer, outcome: ContainerOutcome) => Promise<void>;
  /**
   * Disk the container may fill: its writable layer plus these host directories (its bind mounts).
   * Watched while it runs; past the limit it is killed and the outcome says so.
   */
  disk?: { limitMb: number; dirs: string[] };
}

/** A container that exists and has not started: files may be put into it. */
export interface CreatedContainer {
  /** Unpacks a tar stream into the container's filesystem at `dest`. */
  putArchive(tar: NodeJS.ReadableStream, dest: string): Promise<void>;
}

/** What a stopped container is committed as (workers/images/host-images.ts commitImage). */
export interface ImageCommit {
  repo: string;
  tag: string;
  labels: Record<string, string>;
  /** The image's whole env as it must be. */
  env: string[];
  /** The container's other variables, committed empty (a secret given to a step is not baked in). */
  blank: string[];
}

/** A container that exited by itself and is not removed yet: it may be committed as an image. */
export interface ExitedContainer {
  commit(target: ImageCommit): Promise<string>;
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
