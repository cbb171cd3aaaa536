/**
 * A container's limits: what the engine enforces (memory without swap, CPU, pids) and how the worker
 * learns that one was hit, where the engine does not say (the disk a container fills, refused forks,
 * an OOM kill the engine's state missed).
 */
import type Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerEngine } from '../../common/docker/engine.js';
import type { ContainerSpec, Limits } from './spec.js';

/** How often the disk a container fills is measured; a suite writing flat out overshoots by this much. */
const DISK_CHECK_MS = 1000;
/**
 * Where the writable layer cannot be read directly (a worker in a container of its own), Docker is asked
 * for its size, which costs the engine a walk of the whole image: so less often.
 */
const LAYER_CHECK_MS = 15_000;

export function containerLimits(limits: Limits) {
  const memory = limits.memoryMb * 1024 * 1024;
  return {
    Memory: memory,
    MemorySwap: memory, // no swap: a leak ends as OOM, not as a machine grinding to a halt
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
  };
}

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

/**
 * Whether the engine recorded an OOM of the container since `sinceMs` (its `oom` events), waiting up to
 * `waitMs` for one still on its way. The engine keeps recent events, so one that came before is found too.
 */
export async function oomRecorded(engine: ContainerEngine, id: string, sinceMs: number, waitMs: number): Promise<boolean> {
  const docker = engine as Docker;
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

/** What a {@link watchLimits} saw so far; `stop` once the container has ended. */
export interface LimitWatch {
  readonly diskExceeded: boolean;
  readonly pidLimitHit: boolean;
  stop(): void;
}

/**
 * Watches a created container for refused forks and, with `disk`, for writing more than its allowance
 * (its writable layer and `disk.dirs`), which `kill`s it.
 */
export function watchLimits(container: Docker.Container, disk: ContainerSpec['disk'], kill: () => Promise<unknown>): LimitWatch {
  let diskExceeded = false;
  let pidLimitHit = false;
  const pidsFiles = pidsEventsFiles(container.id);
  let layerBytes = 0;
  let lastLayerCheck = 0;
  let measuring = false;
  // The container's writable layer, on this host's disk (overlay2): walked like the bind mounts. Asked
  // for beside the start, not before it: one engine round trip less before the suite's first line.
  const upperDirOf = disk
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
    if (!disk || measuring || diskExceeded) return;
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
        for (const dir of disk.dirs) used += await diskUsage(dir);
        if (used > disk.limitMb * 1024 * 1024) {
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
  return {
    get diskExceeded() {
      return diskExceeded;
    },
    get pidLimitHit() {
      return pidLimitHit;
    },
    stop: () => clearInterval(monitor),
  };
}
