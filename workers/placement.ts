/**
 * Which cells a worker host takes (`--backends`) and how many at once (`--concurrency`, by default what
 * the host's CPUs and memory allow for the largest cell it may be given).
 */
import os from 'node:os';
import { DEFAULT_RESOURCES } from '../common/matrix/load.js';
import type { Lane } from '../common/queue/jobs.js';
import type { CellNeeds } from '../common/queue/redis-data.js';
import { BACKENDS, type Backend } from '../common/types.js';

/** Most cells one worker process runs at once. */
export const MAX_CONCURRENCY = 64;
/** Memory kept for the worker itself, the engine and the long-lived database servers. @defaultValue 1 GiB */
export const HOST_RESERVED_MB = 1024;

/** `--backends sqlite,postgres` -> ['sqlite', 'postgres']; an unknown name is refused, by name. */
export function parseBackends(list: string): Backend[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new Error(`--backends: give one or more of ${BACKENDS.join(', ')}, separated by commas`);
  for (const name of names) {
    if (!(BACKENDS as readonly string[]).includes(name)) throw new Error(`--backends: "${name}" is not one of ${BACKENDS.join(', ')}`);
  }
  return [...new Set(names as Backend[])];
}

/** The queues a worker serving `backends` takes jobs from: every worker builds artifacts. */
export function lanesFor(backends: readonly Backend[]): Lane[] {
  return ['build', ...backends];
}

export interface HostCapacity {
  cpus: number;
  memoryMb: number;
}

export function hostCapacity(): HostCapacity {
  return { cpus: os.availableParallelism(), memoryMb: Math.floor(os.totalmem() / 1024 / 1024) };
}

export interface ConcurrencyChoice {
  concurrency: number;
  /** One line saying what bounded it, for the worker's start message. */
  why: string;
}

/**
 * As many cells as fit side by side when each takes the most CPU and memory any cell this host may
 * run is allowed (its matrix limits): floor(cpus / cell cpus) and floor((memory - reserve) / cell
 * memory), the smaller of the two, at least 1.
 */
export function defaultConcurrency(host: HostCapacity, cells: readonly CellNeeds[], backends: readonly Backend[]): ConcurrencyChoice {
  const mine = cells.filter((c) => c.backends.some((b) => backends.includes(b)));
  const cpus = Math.max(...(mine.length ? mine.map((c) => c.cpus) : [DEFAULT_RESOURCES.cpus]));
  const memoryMb = Math.max(...(mine.length ? mine.map((c) => c.memoryMb) : [DEFAULT_RESOURCES.memoryMb]));
  const byCpu = Math.floor(host.cpus / cpus);
  const byMemory = Math.floor(Math.max(0, host.memoryMb - HOST_RESERVED_MB) / memoryMb);
  const concurrency = Math.max(1, Math.min(MAX_CONCURRENCY, byCpu, byMemory));
  const bound = byCpu <= byMemory ? `${host.cpus} CPUs / ${cpus} per cell` : `${host.memoryMb - HOST_RESERVED_MB} MB / ${memoryMb} MB per cell`;
  return { concurrency, why: `${bound}${mine.length ? '' : ' (no matrix seen: default limits)'}` };
}
