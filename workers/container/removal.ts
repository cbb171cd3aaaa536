/**
 * Every removal of a container the worker made goes through here: the cell's own container when it
 * ends, a dedicated database server after its cell, a dead worker's containers swept by the janitor.
 * A removal that fails is kept and retried with backoff until the engine has removed the container or
 * says it has no such container: nothing the worker made is forgotten.
 *
 * One failure is told apart: the engine itself refusing to remove the container (its storage driver
 * cannot remove the root filesystem, a removal stuck in progress, a container left `Dead`). After a real
 * engine restart the engine can lose track of a mount and then neither `docker rm -f` nor another
 * restart removes the container; only a host reboot clears the mount. Such a container is "held by the
 * engine": still retried, logged once, counted (`compat_worker_engine_stuck_containers`) and named on
 * the worker's `/readyz` as a warning. It is never reused (per-try names) and never waited for: a cell
 * whose container the engine holds ends as it would have, and so does its run.
 */
import { engineStatus, isNotFound } from '../../common/docker/engine.js';

/** How a failed removal is read. */
export type RemovalFailure =
  /** The engine has no such container: removed, by us or by someone else. */
  | 'gone'
  /** The engine answered and refuses: its driver cannot remove the container's files, or it is `Dead`. */
  | 'engine-held'
  /** Anything else: the engine away (restarting), a timeout, an error of another kind. */
  | 'retry';

/**
 * The engine's own words for a container it cannot remove (moby's daemon/delete.go and
 * container/state.go), e.g. `driver "overlay2" failed to remove root filesystem: unlinkat
 * /var/lib/docker/overlay2/<id>/merged: device or resource busy` (500), `removal of container <id> is
 * already in progress` (409), `container is marked for removal and cannot be started`.
 */
const ENGINE_HELD = [
  /failed to remove root filesystem/i,
  /unable to remove filesystem/i,
  /device or resource busy/i,
  /removal of container \S+ is already in progress/i,
  /marked for removal/i,
  /\bis dead\b|state\W+dead\b/i,
];

/** Whether an engine's message is its refusal to remove a container (one of {@link ENGINE_HELD}). */
export function isEngineRefusal(message: string): boolean {
  return ENGINE_HELD.some((re) => re.test(message));
}

export function classifyRemovalError(error: unknown): RemovalFailure {
  if (isNotFound(error)) return 'gone';
  const status = engineStatus(error);
  // Only an answer of the engine's can say it holds the container: a dropped connection says nothing.
  if (status === 500 || status === 409) {
    if (isEngineRefusal(removalErrorText(error))) return 'engine-held';
  }
  return 'retry';
}

/** The engine's message, as short as it says it (dockerode puts the body's `message` on `json`). */
export function removalErrorText(error: unknown): string {
  const e = error as { json?: { message?: unknown }; message?: unknown } | null;
  const fromBody = typeof e?.json?.message === 'string' ? e.json.message : undefined;
  const text = fromBody ?? (typeof e?.message === 'string' ? e.message : String(error));
  return text.replace(/^\(HTTP code \d+\) [a-z ]+ - /i, '').trim().slice(0, 500);
}

/**
 * Backoff between tries of one container: `firstMs` doubling up to `maxMs`, each wait drawn from its
 * upper half (jitter), so many workers of one host do not ask the engine in step.
 * @defaultValue firstMs 2000, maxMs 300000
 */
export function removalBackoffMs(failures: number, random: () => number = Math.random, firstMs = 2000, maxMs = 300_000): number {
  const full = Math.min(maxMs, firstMs * 2 ** Math.max(0, failures - 1));
  return Math.round(full / 2 + (full / 2) * random());
}

/** A container the engine refuses to remove, as `/readyz` and the log name it. */
export interface HeldContainer {
  id: string;
  name?: string;
  /** The engine's error, as it said it the last time. */
  error: string;
  /** When the engine first refused it (ISO 8601). */
  since: string;
  /** Removals tried so far, and the last one (ISO 8601): a held container is still retried. */
  attempts: number;
  lastTriedAt: string;
}

interface Pending {
  id: string;
  name?: string;
  attempts: number;
  nextAt: number;
  lastTriedAt: number;
  error: string;
  heldSince: number | null;
}

export interface RemovalLog {
  warn(meta: object, message: string): void;
  info(meta: object, message: string): void;
}

export interface ContainerRemovalsOptions {
  /** Removes the container and its volumes, running or not; throws the engine's error. */
  remove(id: string): Promise<void>;
  log: RemovalLog;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue Math.random */
  random?: () => number;
  /** First wait before a retry, doubling. @defaultValue 2000 */
  firstRetryMs?: number;
  /** Longest wait between tries. @defaultValue 300000 */
  maxRetryMs?: number;
}

export type RemovalOutcome = 'removed' | 'pending' | 'held';

export class ContainerRemovals {
  private readonly pending = new Map<string, Pending>();
  /**
   * Removals the engine is working on. Sides that start at once after the engine is back each retry the
   * due removals: they join the one request in flight instead of sending their own. Two removals of one
   * container at once give the engine's 409 "already in progress" at best, and a removal in flight when
   * the engine stops is what its restart leaves `Dead` (moby's restore marks RemovalInProgress dead).
   */
  private readonly inFlight = new Map<string, Promise<RemovalOutcome>>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly firstRetryMs: number;
  private readonly maxRetryMs: number;

  constructor(private readonly options: ContainerRemovalsOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.firstRetryMs = options.firstRetryMs ?? 2000;
    this.maxRetryMs = options.maxRetryMs ?? 300_000;
  }

  /**
   * Removes a container now, or, if its removal already failed, when its backoff is due (a janitor that
   * finds it again does not hurry the engine). Never throws: what fails is kept and retried.
   */
  async remove(id: string, name?: string): Promise<RemovalOutcome> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const known = this.pending.get(id);
    if (known) {
      if (name && !known.name) known.name = name;
      if (known.nextAt > this.now()) return known.heldSince === null ? 'pending' : 'held';
    }
    return this.attempt(id, name);
  }

  /** Retries every removal whose backoff is due; returns how many containers are now removed. */
  async retryDue(): Promise<number> {
    let removed = 0;
    for (const p of [...this.pending.values()]) {
      if (p.nextAt > this.now() || this.inFlight.has(p.id)) continue;
      if ((await this.attempt(p.id, p.name)) === 'removed') removed++;
    }
    return removed;
  }

  /** Whether this container's removal is still to be done (it is not to be reused or counted). */
  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** Containers the engine refuses to remove, oldest first. */
  held(): HeldContainer[] {
    return [...this.pending.values()]
      .filter((p) => p.heldSince !== null)
      .sort((a, b) => a.heldSince! - b.heldSince!)
      .map((p) => ({
        id: p.id,
        ...(p.name ? { name: p.name } : {}),
        error: p.error,
        since: new Date(p.heldSince!).toISOString(),
        attempts: p.attempts,
        lastTriedAt: new Date(p.lastTriedAt).toISOString(),
      }));
  }

  private attempt(id: string, name?: string): Promise<RemovalOutcome> {
    const attempt = this.tryOnce(id, name).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, attempt);
    return attempt;
  }

  private async tryOnce(id: string, name?: string): Promise<RemovalOutcome> {
    const known = this.pending.get(id);
    try {
      await this.options.remove(id);
    } catch (error) {
      const kind = classifyRemovalError(error);
      if (kind !== 'gone') return this.failed(id, name ?? known?.name, kind, removalErrorText(error));
    }
    this.pending.delete(id);
    if (known?.heldSince != null) {
      this.options.log.info({ container: id, name: known.name, attempts: known.attempts + 1 }, 'Container the engine held is removed at last');
    }
    return 'removed';
  }

  private failed(id: string, name: string | undefined, kind: 'engine-held' | 'retry', error: string): RemovalOutcome {
    const now = this.now();
    const p = this.pending.get(id) ?? { id, name, attempts: 0, nextAt: now, lastTriedAt: now, error, heldSince: null };
    p.attempts++;
    p.lastTriedAt = now;
    p.error = error;
    p.nextAt = now + removalBackoffMs(p.attempts, this.random, this.firstRetryMs, this.maxRetryMs);
    if (kind === 'engine-held' && p.heldSince === null) {
      p.heldSince = now;
      // Once per container: it is retried on, and /readyz and the metric keep naming it.
      this.options.log.warn(
        { container: id, name: p.name, error, attempts: p.attempts },
        'The engine refuses to remove a container (held by the engine); retrying with backoff',
      );
    }
    this.pending.set(id, p);
    return p.heldSince === null ? 'pending' : 'held';
  }
}
