/**
 * Runs a cell's container to its end: created with its limits, all capabilities dropped, no new
 * privileges and never the Docker socket; its output streamed to the caller; killed at its timeout, at
 * an abort or past its disk allowance; removed afterwards through the worker's removals.
 */
import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import type { ContainerEngine } from '../../common/docker/engine.js';
import { commitImage } from '../images/host-images.js';
import { containerLimits, oomRecorded, watchLimits } from './limits.js';
import type { ContainerRemovals } from './removal.js';
import type { ContainerOutcome, ContainerSpec } from './spec.js';

/** How often a running container's state is asked for besides the engine's wait call. */
const WAIT_CHECK_MS = 3000;
/** The exit status of a process ended by SIGKILL (128 + 9): what the OOM killer leaves. */
const SIGKILLED = 137;
/** How long a container killed that way may wait for the engine's notice of an OOM. */
const OOM_NOTICE_WAIT_MS = 2000;

/** `removals`: the worker's own (workers/container/removal.ts), so a removal that fails is retried later. */
export async function runContainer(engine: ContainerEngine, spec: ContainerSpec, removals: ContainerRemovals): Promise<ContainerOutcome> {
  const docker = engine as Docker;
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
  const kill = () => container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  const limits = watchLimits(container, spec.disk, kill);
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
    if (!oomKilled && exit.StatusCode === SIGKILLED && !timedOut && !aborted && !limits.diskExceeded) {
      oomKilled = await oomRecorded(docker, container.id, startCalledAt, OOM_NOTICE_WAIT_MS);
    }
    const outcome: ContainerOutcome = {
      exitCode: exit.StatusCode,
      oomKilled,
      timedOut,
      aborted,
      diskExceeded: limits.diskExceeded,
      pidLimitHit: limits.pidLimitHit,
      durationMs: Date.now() - started,
    };
    if (spec.afterExit && !timedOut && !aborted && !limits.diskExceeded) await spec.afterExit({ commit: (target) => commitImage(container, target) }, outcome);
    return outcome;
  } finally {
    limits.stop();
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
