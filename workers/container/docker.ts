/**
 * The only module that touches dockerode. Containers run with memory, CPU, pid and time limits, all
 * capabilities dropped, no new privileges, and never the Docker socket. Every container carries labels
 * naming the worker, run and cell that own it, so a worker can remove what a dead one left behind.
 */
import Docker from 'dockerode';
import { PassThrough } from 'node:stream';

export type { Docker };

export const LABEL_KIND = 'compat.kind';
export const LABEL_WORKER = 'compat.worker';
export const LABEL_RUN = 'compat.run';
export const LABEL_CELL = 'compat.cell';
/** The queue prefix of the deployment that made a container: a janitor sweeps only its own. */
export const LABEL_PREFIX = 'compat.prefix';

export function createDocker(): Docker {
  return new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
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
  /** Receives stdout and stderr, interleaved as they arrive. */
  onOutput: (chunk: Buffer) => void;
  signal?: AbortSignal;
  /** Size of the writable /tmp. */
  tmpMb?: number;
}

export interface ContainerOutcome {
  exitCode: number | null;
  oomKilled: boolean;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

export function containerLimits(limits: Limits) {
  const memory = limits.memoryMb * 1024 * 1024;
  return {
    Memory: memory,
    MemorySwap: memory, // no swap: a leak ends as OOM, not as a machine grinding to a halt
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
  };
}

export async function runContainer(docker: Docker, spec: ContainerSpec): Promise<ContainerOutcome> {
  const container = await docker.createContainer({
    name: spec.name,
    Image: spec.image,
    Cmd: spec.cmd,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    WorkingDir: spec.workdir,
    User: spec.user,
    Labels: spec.labels,
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      ...containerLimits(spec.limits),
      Binds: spec.binds,
      NetworkMode: spec.networkMode,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${spec.tmpMb ?? 512}m` },
      Init: true, // reaps zombies and forwards signals, so a kill really stops the suite
      AutoRemove: false,
    },
  });
  const started = Date.now();
  let timedOut = false;
  let aborted = false;
  const kill = () => container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  const onAbort = () => {
    aborted = true;
    void kill();
  };
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true, logs: true });
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => spec.onOutput(chunk));
    container.modem.demuxStream(stream, sink, sink);
    const streamEnded = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    if (spec.signal?.aborted) onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    await container.start();
    const timer = setTimeout(() => {
      timedOut = true;
      void kill();
    }, spec.timeoutMs);
    let exit: { StatusCode: number };
    try {
      exit = (await container.wait()) as { StatusCode: number };
    } finally {
      clearTimeout(timer);
    }
    // Let the last output arrive, but never hang on a stream that does not close.
    await Promise.race([streamEnded, new Promise((r) => setTimeout(r, 2000))]);
    const info = await container.inspect();
    return {
      exitCode: exit.StatusCode,
      oomKilled: Boolean(info.State?.OOMKilled),
      timedOut,
      aborted,
      durationMs: Date.now() - started,
    };
  } finally {
    spec.signal?.removeEventListener('abort', onAbort);
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}

/** Runs a command in a running container (argv only) and returns its exit code and output. */
export async function execIn(
  docker: Docker,
  containerId: string,
  cmd: string[],
  env: string[] = [],
  timeoutMs = 60_000,
): Promise<{ exitCode: number; output: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`command timed out after ${timeoutMs} ms: ${cmd[0]}`)), timeoutMs);
    stream.on('end', () => (clearTimeout(timer), resolve()));
    stream.on('close', () => (clearTimeout(timer), resolve()));
    stream.on('error', (e: Error) => (clearTimeout(timer), reject(e)));
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

export async function ensureNetwork(docker: Docker, name: string): Promise<void> {
  const existing = await docker.listNetworks({ filters: { name: [name] } });
  if (existing.some((n) => n.Name === name)) return;
  try {
    await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { [LABEL_KIND]: 'network' } });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 409) throw error;
  }
}

export async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Containers with all these labels, running or not. */
export async function containersWith(docker: Docker, labels: Record<string, string | undefined>) {
  const filters = Object.entries(labels).map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
  return docker.listContainers({ all: true, filters: { label: filters } });
}
