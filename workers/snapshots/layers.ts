/**
 * Install snapshots and candidate layers on one worker host: images committed from the container an
 * install step left, named and labelled by key and by the deployment's prefix. A key is built once per
 * host at a time (cells of one worker waiting on the same key share the build); later sides start from
 * the image. Least recently used go first when the deployment's snapshots pass their disk budget.
 */
import { mkdirSync, utimesSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../common/logger.js';
import { LABEL_KIND, LABEL_PREFIX, type ContainerEngine } from '../container/docker.js';
import { imageIdOf, imagesWith, removeImage } from '../images/host-images.js';

export const LABEL_SNAPSHOT_KEY = 'compat.snapshot.key';
export const LABEL_SNAPSHOT_LAYER = 'compat.snapshot.layer';
export const LABEL_SNAPSHOT_CONSUMER = 'compat.snapshot.consumer';
/** Bytes of the image it was committed on: the snapshot's own size is its size less this. */
export const LABEL_SNAPSHOT_BASE_SIZE = 'compat.snapshot.base-size';
export const SNAPSHOT_KIND = 'snapshot';

export type LayerName = 'install' | 'candidate';

export interface LayerRef {
  /** `repo:tag`, what a container is created from. */
  image: string;
  tag: string;
  /** Found on the host (true) or built now (false). */
  hit: boolean;
}

/** Image repository of a deployment's snapshots: lower-case, as the engine wants it. */
export function snapshotRepo(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[^a-z0-9_.-]/g, '-').replace(/^[^a-z0-9]+/, '') || 'compat'}-snapshot`;
}

export function layerLabels(prefix: string, layer: LayerName, key: string, consumer: string, baseSize: number): Record<string, string> {
  return {
    [LABEL_KIND]: SNAPSHOT_KIND,
    [LABEL_PREFIX]: prefix,
    [LABEL_SNAPSHOT_LAYER]: layer,
    [LABEL_SNAPSHOT_KEY]: key,
    [LABEL_SNAPSHOT_CONSUMER]: consumer,
    [LABEL_SNAPSHOT_BASE_SIZE]: String(baseSize),
  };
}

export class LayerStore {
  private readonly inflight = new Map<string, Promise<LayerRef>>();
  /** Images a side of this worker is starting from right now: never evicted under it. */
  private readonly inUse = new Map<string, number>();
  readonly repo: string;

  constructor(
    private readonly docker: ContainerEngine,
    private readonly options: { prefix: string; dataDir: string; budgetMb: number; log: Logger },
  ) {
    this.repo = snapshotRepo(options.prefix);
  }

  tagOf(layer: LayerName, key: string): string {
    return `${layer}-${key.slice(0, 48)}`;
  }

  /**
   * The layer's image: found on the host, or made by `build` (which runs the step and commits its
   * container as `repo:tag`). Concurrent callers with one key share one build; a failed build is not
   * shared, so each caller then tries (and logs) its own.
   */
  async ensure(layer: LayerName, key: string, build: (target: { repo: string; tag: string }) => Promise<void>): Promise<LayerRef> {
    const tag = this.tagOf(layer, key);
    const image = `${this.repo}:${tag}`;
    for (;;) {
      const running = this.inflight.get(tag);
      if (running) {
        const shared = await running.catch(() => null);
        if (shared) return this.use({ ...shared, hit: true });
        continue; // its build failed: try (and log) our own
      }
      // Registered before the first await, so a second caller always finds it.
      const made = (async (): Promise<LayerRef> => {
        if (await imageIdOf(this.docker, image)) return { image, tag, hit: true };
        await build({ repo: this.repo, tag });
        if (!(await imageIdOf(this.docker, image))) throw new Error(`the ${layer} step ended without its image ${image}`);
        return { image, tag, hit: false };
      })();
      this.inflight.set(tag, made);
      try {
        return this.use(await made);
      } finally {
        if (this.inflight.get(tag) === made) this.inflight.delete(tag);
      }
    }
  }

  private use(ref: LayerRef): LayerRef {
    this.touch(ref.tag);
    return ref;
  }

  /** Marks an image as used by a starting side until `release`. */
  hold(tag: string): () => void {
    this.inUse.set(tag, (this.inUse.get(tag) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.inUse.get(tag) ?? 1) - 1;
      if (n <= 0) this.inUse.delete(tag);
      else this.inUse.set(tag, n);
    };
  }

  private usedFile(tag: string): string {
    return path.join(this.options.dataDir, 'snapshots', 'used', tag);
  }

  /** Last use, as a file's mtime on the host: shared by every worker process of the data dir. */
  private touch(tag: string): void {
    const file = this.usedFile(tag);
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '');
    }
  }

  private lastUsed(tag: string | undefined, fallbackMs: number): number {
    if (!tag) return fallbackMs;
    try {
      return statSync(this.usedFile(tag)).mtimeMs;
    } catch {
      return fallbackMs;
    }
  }

  /** This deployment's snapshots on the host with their own size and last use, least recently used first. */
  async list(): Promise<Array<{ id: string; tag: string | undefined; layer: string; ownBytes: number; lastUsedMs: number }>> {
    const images = await imagesWith(this.docker, { [LABEL_KIND]: SNAPSHOT_KIND, [LABEL_PREFIX]: this.options.prefix });
    return images
      .map((i) => {
        const tag = i.tags.find((t) => t.startsWith(`${this.repo}:`))?.slice(this.repo.length + 1);
        const base = Number(i.labels[LABEL_SNAPSHOT_BASE_SIZE] ?? 0);
        return { id: i.id, tag, layer: i.labels[LABEL_SNAPSHOT_LAYER] ?? '', ownBytes: Math.max(0, i.size - base), lastUsedMs: this.lastUsed(tag, i.createdMs) };
      })
      .sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  }

  /** Removes every snapshot of this deployment that no container uses (a test stack's teardown). */
  async removeAll(): Promise<number> {
    let removed = 0;
    // Candidate layers first: an install snapshot with layers on top cannot go before them.
    const all = await this.list();
    for (const image of [...all.filter((i) => i.layer === 'candidate'), ...all.filter((i) => i.layer !== 'candidate')]) {
      if (await removeImage(this.docker, image.id)) removed++;
    }
    return removed;
  }

  /**
   * Removes least recently used snapshots until this deployment's fit in the budget. Untagged ones (a
   * key rebuilt by another process at the same time) go first. An image a container still uses is
   * refused by the engine and stays; so does one with layers on top (its candidate layers go first).
   */
  async evict(budgetMb = this.options.budgetMb): Promise<{ removed: number; keptBytes: number }> {
    const all = await this.list();
    let total = all.reduce((sum, i) => sum + i.ownBytes, 0);
    const budget = budgetMb * 1024 * 1024;
    let removed = 0;
    const order = [...all.filter((i) => !i.tag), ...all.filter((i) => i.tag && i.layer === 'candidate'), ...all.filter((i) => i.tag && i.layer !== 'candidate')];
    for (const image of order) {
      if (total <= budget && image.tag) break;
      if (image.tag && this.inUse.has(image.tag)) continue;
      if (await removeImage(this.docker, image.id)) {
        total -= image.ownBytes;
        removed++;
        this.options.log.info({ image: image.tag ?? image.id, bytes: image.ownBytes }, 'Evicted install snapshot');
      }
    }
    return { removed, keptBytes: total };
  }
}
