/**
 * The worker's container adapter (with common/docker/engine.ts, which connects to the engine). Containers run with memory, CPU, pid, disk and time limits, all
 * capabilities dropped, no new privileges, and never the Docker socket. Every container carries labels
 * naming the worker, run and cell that own it, so a worker can remove what a dead one left behind.
 * Callers hold the engine as a {@link ContainerEngine} and hand it back here: only this folder calls dockerode.
 */
import Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ImageBuildError, LABEL_KIND, type ContainerOutcome, type ContainerSpec, type ContainerState, type ContainerSummary, type ImageBuildSpec, type Limits, type ServiceSpec } from './spec.js';
import { commitImage } from './images.js';
import { ContainerRemovals } from './removal.js';
import { logger } from '../../common/logger.js';
import { isConflict, isNotFound, type ContainerEngine } from '../../common/docker/engine.js';

export { LABEL_CELL, LABEL_KIND, LABEL_PREFIX, LABEL_RUN, LABEL_WORKER } from './spec.js';
export type { ContainerOutcome, ContainerSpec, ContainerState, ContainerSummary, Limits, ServiceSpec } from './spec.js';

/** The engine's address is decided in one place; workers get their engine from there. */
export { createEngine, type ContainerEngine } from '../../common/docker/engine.js';

/** The client behind an engine: only this folder's adapters call it. */
function clientOf(engine: ContainerEngine): Docker {
  return engine as Docker;
}

/** How often the disk a container fills is measured; a suite writing flat out overshoots by this much. */
const DISK_CHECK_MS = 1000;
/**
 * Where the writable layer cannot be read directly (a worker in a container of its own), Docker is asked
 * for its size, which costs the engine a walk of the whole image: so less often.
 */
const LAYER_CHECK_MS = 15_000;
/** How often a running container's state is asked for besides the engine's wait call. */
const WAIT_CHECK_MS = 3000;

/** Where the kernel counts refused forks for a container, per cgroup layout (v1/v2, cgroupfs/systemd). */
function pidsEventsFiles(id: string): string[] {
  return [
    `/sys/fs/cgroup/pids/docker/${id}/pids.events`,
    `/sys/fs/cgroup/pids/system.slice/docker-${id}.scope/pids.events`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope/pids.events`,
    `/sys/fs/cgroup/docker/${id}/pids.events`,
  ];
}

function refusedForks(files: string[]): number {
  for (const file of files) {
    try {
      const m = /^max (\d+)/m.exec(readFileSync(file, 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      /* not this layout, or the container is gone */
    }
  }
  return 0;
}

/** The exit status of a process ended by SIGKILL (128 + 9): what the OOM killer leaves. */
const SIGKILLED = 137;
/** How long a container killed that way may wait for the engine's notice of an OOM. */
const OOM_NOTICE_WAIT_MS = 2000;

/**
 * Whether the engine recorded an OOM of the container since `sinceMs` (its `oom` events), waiting up to
 * `waitMs` for one still on its way. The engine keeps recent events, so one that came before is found too.
 */
export async function oomRecorded(engine: ContainerEngine, id: string, sinceMs: number, waitMs: number): Promise<boolean> {
  const docker = clientOf(engine);
  try {
    const stream = (await docker.getEvents({
      since: Math.floor(sinceMs / 1000) - 1,
      until: Math.ceil((Date.now() + waitMs) / 1000),
      filters: { container: [id], event: ['oom'] },
    } as Docker.GetEventsOptions)) as NodeJS.ReadableStream & { destroy?: () => void };
    return await new Promise<boolean>((resolve) => {
      stream.on('data', () => {
        resolve(true);
        stream.destroy?.();
      });
      for (const end of ['end', 'close', 'error']) stream.on(end, () => resolve(false));
    });
  } catch {
    return false;
  }
}

/** Bytes a directory tree really occupies (blocks, so a sparse file counts for what it holds). */
export async function diskUsage(dir: string, maxEntries = 500_000): Promise<number> {
  let total = 0;
  let seen = 0;
  const walk = async (current: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > maxEntries) return;
      const file = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(file);
      else {
        try {
          total += (await lstat(file)).blocks * 512;
        } catch {
          /* removed meanwhile */
        }
      }
    }
  };
  await walk(dir);
  return total;
}

/** Each client's removals (workers/container/removal.ts); a worker passes its own to runContainer. */
const removalsByClient = new WeakMap<ContainerEngine, ContainerRemovals>();

/** The removals of containers made on this client: a failed one is kept and retried with backoff. */
export function removalsFor(engine: ContainerEngine): ContainerRemovals {
  let removals = removalsByClient.get(engine);
  if (!removals) {
    removals = new ContainerRemovals({ remove: (id) => removeContainer(engine, id), log: logger });
    removalsByClient.set(engine, removals);
  }
  return removals;
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

export async function runContainer(engine: ContainerEngine, spec: ContainerSpec, removals: ContainerRemovals = removalsFor(engine)): Promise<ContainerOutcome> {
  const docker = clientOf(engine);
  // Containers an earlier side could not remove (the engine was away), whose backoff is due.
  await removals.retryDue();
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
      Tmpfs: spec.tmpMb === 0 ? {} : { '/tmp': `rw,nosuid,nodev,size=${spec.tmpMb ?? 512}m` },
      Init: true, // reaps zombies and forwards signals, so a kill really stops the suite
      AutoRemove: false,
      // Output is read from the attach stream (and kept, capped, in Redis). The engine keeps no copy of
      // its own: a suite printing gigabytes neither fills the host's disk through json-file logs nor
      // runs at a fifth of the speed while the engine encodes every line as JSON.
      LogConfig: { Type: 'none', Config: {} },
    },
  });
  let started = Date.now();
  let startCalledAt = started;
  let timedOut = false;
  let aborted = false;
  let diskExceeded = false;
  let pidLimitHit = false;
  const kill = () => container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  const pidsFiles = pidsEventsFiles(container.id);
  let layerBytes = 0;
  let lastLayerCheck = 0;
  let measuring = false;
  // The container's writable layer, on this host's disk (overlay2): walked like the bind mounts. Asked
  // for beside the start, not before it: one engine round trip less before the suite's first line.
  const upperDirOf = spec.disk
    ? container.inspect().then(
        (info) => {
          const dir = (info as { GraphDriver?: { Data?: { UpperDir?: string } } }).GraphDriver?.Data?.UpperDir;
          return dir && existsSync(dir) ? dir : null;
        },
        () => null,
      )
    : Promise.resolve(null);
  const monitor = setInterval(() => {
    if (!pidLimitHit && refusedForks(pidsFiles) > 0) pidLimitHit = true;
    if (!spec.disk || measuring || diskExceeded) return;
    measuring = true;
    void (async () => {
      try {
        const upperDir = await upperDirOf;
        if (upperDir) layerBytes = await diskUsage(upperDir);
        else if (Date.now() - lastLayerCheck >= LAYER_CHECK_MS) {
          lastLayerCheck = Date.now();
          const info = (await container.inspect({ size: true } as Docker.ContainerInspectOptions)) as { SizeRw?: number };
          layerBytes = info.SizeRw ?? 0;
        }
        let used = layerBytes;
        for (const dir of spec.disk!.dirs) used += await diskUsage(dir);
        if (used > spec.disk!.limitMb * 1024 * 1024) {
          diskExceeded = true;
          await kill();
        }
      } catch {
        /* the container ended meanwhile */
      } finally {
        measuring = false;
      }
    })();
  }, DISK_CHECK_MS);
  const onAbort = () => {
    aborted = true;
    void kill();
  };
  try {
    // Attached before start, so nothing is missed; there are no engine logs to replay.
    const stream = await container.attach({ stream: true, stdout: true, stderr: true, logs: false });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (chunk: Buffer) => spec.onOutput(chunk, 'stdout'));
    stderr.on('data', (chunk: Buffer) => spec.onOutput(chunk, 'stderr'));
    container.modem.demuxStream(stream, stdout, stderr);
    const streamEnded = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
      // The raw stream of an attach does not end when its connection drops; its socket does close.
      (stream as { socket?: NodeJS.EventEmitter }).socket?.on('close', () => resolve());
    });
    if (spec.signal?.aborted) onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    await spec.beforeStart?.({ putArchive: (tar, dest) => container.putArchive(tar, { path: dest }).then(() => undefined) });
    startCalledAt = Date.now();
    await container.start();
    started = startCalledAt;
    const timer = setTimeout(() => {
      timedOut = true;
      void kill();
    }, spec.timeoutMs);
    let exit: { StatusCode: number };
    try {
      exit = await waitForExit(container);
    } finally {
      clearTimeout(timer);
    }
    // Let the last output arrive, but never hang on a stream that does not close.
    await Promise.race([streamEnded, new Promise((r) => setTimeout(r, 2000))]);
    const info = await container.inspect();
    let oomKilled = Boolean(info.State?.OOMKilled);
    // Killed (SIGKILL), and not by us: the kernel's OOM killer, even when the state says no. The state's
    // flag is set only when the engine hears of the OOM before the exit, which a loaded host can reverse.
    if (!oomKilled && exit.StatusCode === SIGKILLED && !timedOut && !aborted && !diskExceeded) {
      oomKilled = await oomRecorded(docker, container.id, startCalledAt, OOM_NOTICE_WAIT_MS);
    }
    const outcome: ContainerOutcome = {
      exitCode: exit.StatusCode,
      oomKilled,
      timedOut,
      aborted,
      diskExceeded,
      pidLimitHit,
      durationMs: Date.now() - started,
    };
    if (spec.afterExit && !timedOut && !aborted && !diskExceeded) await spec.afterExit({ commit: (target) => commitImage(container, target) }, outcome);
    return outcome;
  } finally {
    clearInterval(monitor);
    spec.signal?.removeEventListener('abort', onAbort);
    // Never waited for beyond one try: a removal that fails (the engine away, or refusing) is retried
    // with backoff, and the side ends as it would have.
    await removals.remove(container.id, spec.name);
  }
}

/**
 * The container's exit status. When the engine's connection drops (an engine restart), neither its wait
 * call nor the attached output stream ever settles: so the container's state is also asked for every
 * few seconds, and an engine that does not answer is an error (retried), never a hang.
 */
async function waitForExit(container: Docker.Container): Promise<{ StatusCode: number }> {
  const waited = container.wait() as Promise<{ StatusCode: number }>;
  waited.catch(() => undefined); // raced below, settled or not; never an unhandled rejection
  for (;;) {
    const answer = await Promise.race([waited, new Promise<null>((r) => setTimeout(() => r(null), WAIT_CHECK_MS))]);
    if (answer) return answer;
    const info = await container.inspect(); // throws while the engine is away
    if (!info.State.Running) return { StatusCode: info.State.ExitCode };
  }
}

/** Runs a command in a running container (argv only) and returns its exit code and output. */
export async function execIn(
  engine: ContainerEngine,
  containerId: string,
  cmd: string[],
  env: string[] = [],
  timeoutMs = 60_000,
): Promise<{ exitCode: number; output: string }> {
  const docker = clientOf(engine);
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

/**
 * The deployment's network, created once whoever asks first. Workers started together (compose's
 * replicas) ask at the same moment, and Docker 20.10 gives two networks of one name unless told to
 * check, after which every container naming it fails as "ambiguous". The engine's check is not atomic
 * either, so a creator that finds an older twin removes its own: all agree on the oldest.
 */
/** Orders the engine's RFC 3339 times to the nanosecond (Date keeps milliseconds; the text drops trailing zeros). */
export function compareCreated(a: string, b: string): number {
  const key = (t: string) => [Date.parse(t), Number((/\.(\d+)/.exec(t)?.[1] ?? '').padEnd(9, '0').slice(3, 9))] as const;
  const [x, y] = [key(a), key(b)];
  return x[0] - y[0] || x[1] - y[1];
}

export async function ensureNetwork(engine: ContainerEngine, name: string): Promise<string> {
  const docker = clientOf(engine);
  const named = async () =>
    (await docker.listNetworks({ filters: { name: [name] } }))
      .filter((n) => n.Name === name)
      .sort((a, b) => compareCreated(a.Created, b.Created) || a.Id.localeCompare(b.Id));
  let found = await named();
  if (found.length === 0) {
    try {
      await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL_KIND]: 'network' } });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    found = await named();
  }
  // Every caller, not only the creator, removes the younger twins: a creator whose listing did not yet
  // show a concurrent creator's network kept its own, and an earlier run may have left a twin. A twin
  // with a container on it stays until its container goes (removing it would cut that container off).
  for (let settle = 0; found.length > 1 && settle < 10; settle++) {
    for (const twin of found.slice(1)) await removeUnusedNetwork(docker, twin.Id);
    found = await named();
    if (found.length > 1) await new Promise((r) => setTimeout(r, 100 * (settle + 1)));
  }
  const oldest = found[0];
  if (!oldest) throw new Error(`network ${name} could not be created`);
  return oldest.Id;
}

async function removeUnusedNetwork(engine: ContainerEngine, id: string): Promise<void> {
  const docker = clientOf(engine);
  try {
    const info = (await docker.getNetwork(id).inspect()) as { Containers?: Record<string, unknown> };
    if (Object.keys(info.Containers ?? {}).length === 0) await docker.getNetwork(id).remove();
  } catch (error) {
    // Gone already (another caller removed it) is what we wanted; a container joined since keeps it.
    if (!isNotFound(error) && !isConflict(error) && !/active endpoints/.test(String(error))) throw error;
  }
}

export async function imageExists(engine: ContainerEngine, image: string): Promise<boolean> {
  const docker = clientOf(engine);
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

/** Removes a container, running or not, with its anonymous volumes. */
export async function removeContainer(engine: ContainerEngine, id: string): Promise<void> {
  await clientOf(engine).getContainer(id).remove({ force: true, v: true });
}

export async function startContainer(engine: ContainerEngine, id: string): Promise<void> {
  await clientOf(engine).getContainer(id).start();
}

/** The container of this name or id, or undefined when the engine has none (other failures throw). */
export async function inspectContainer(engine: ContainerEngine, nameOrId: string): Promise<ContainerState | undefined> {
  const info = await clientOf(engine).getContainer(nameOrId).inspect().catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  return info && { id: info.Id, image: info.Config.Image, env: info.Config.Env ?? [], running: info.State.Running };
}

/** Creates (does not start) a service container; returns its id. */
export async function createService(engine: ContainerEngine, spec: ServiceSpec): Promise<string> {
  const container = await clientOf(engine).createContainer({
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
  const docker = clientOf(engine);
  const filters = Object.entries(labels).map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
  return docker.listContainers({ all: true, filters: { label: filters } });
}

/**
 * Builds an image through the engine's build API (the classic builder: a base image present locally is
 * used as it is, so a build from `FROM compat-runner:bookworm` needs no registry). Intermediate
 * containers are removed even when a step fails.
 */
export async function buildImage(engine: ContainerEngine, spec: ImageBuildSpec): Promise<void> {
  const docker = clientOf(engine);
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
