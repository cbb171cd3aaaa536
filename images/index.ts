/**
 * `compat images`: every image matrix.yaml names (and the project's own runner and database images)
 * exists after this. An image present with the current recipe hash is reused; a missing one is pulled
 * where a registry answers, else built offline from Debian packages when a recipe is known for it.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { ContainerEngine } from '../common/docker/engine.js';
import { buildOffline, HASH_LABEL, SUITE } from './offline-build.js';
import { DEFAULT_IMAGES, recipeFor, recipeHash } from './recipes.js';

export { DEFAULT_IMAGES } from './recipes.js';

export interface ImageResult {
  name: string;
  action: 'reused' | 'pulled' | 'built' | 'present';
  seconds: number;
}

export interface EnsureOptions {
  docker: ContainerEngine;
  dataDir: string;
  log: (line: string) => void;
  caBundle?: string;
  /** How long a pull may take to answer before we decide no registry is there. */
  pullTimeoutMs?: number;
}

async function inspect(docker: Dockerode, name: string): Promise<Dockerode.ImageInspectInfo | null> {
  try {
    return await docker.getImage(name).inspect();
  } catch {
    return null;
  }
}

async function tryPull(docker: Dockerode, name: string, timeoutMs: number): Promise<boolean> {
  const pull = new Promise<boolean>((resolve) => {
    docker.pull(name, (error: Error | null, stream: NodeJS.ReadableStream) => {
      if (error) return resolve(false);
      docker.modem.followProgress(stream, (err) => resolve(!err));
    });
  });
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([pull, timeout]);
}

/** One builder at a time per data dir (the demo and the tests may both ask). */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'build.lock');
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch {
      const holder = Number(readFileSync(file, 'utf8').trim() || 0);
      let alive = false;
      try {
        if (holder) process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (!alive) rmSync(file, { force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

export async function ensureImages(names: string[], options: EnsureOptions): Promise<ImageResult[]> {
  const wanted = [...new Set([...DEFAULT_IMAGES, ...names])];
  const cacheDir = path.join(options.dataDir, 'images');
  return withLock(cacheDir, async () => {
    const results: ImageResult[] = [];
    const toBuild: Array<{ name: string; started: number }> = [];
    for (const name of wanted) {
      const started = Date.now();
      const recipe = recipeFor(name);
      const existing = await inspect(options.docker as Dockerode, name);
      if (existing) {
        const label = existing.Config?.Labels?.[HASH_LABEL];
        if (!recipe || !label) {
          results.push({ name, action: 'present', seconds: 0 });
          continue;
        }
        if (label === recipeHash(recipe, SUITE)) {
          results.push({ name, action: 'reused', seconds: 0 });
          continue;
        }
        options.log(`${name}: recipe changed, rebuilding`);
      } else if (!name.startsWith('compat-')) {
        // A name of ours is never in a registry; any other is tried there first.
        options.log(`${name}: pulling`);
        if (await tryPull(options.docker as Dockerode, name, options.pullTimeoutMs ?? 20_000)) {
          results.push({ name, action: 'pulled', seconds: (Date.now() - started) / 1000 });
          continue;
        }
        if (!recipe) throw new Error(`${name}: no registry answered and there is no offline recipe for it (known: ${DEFAULT_IMAGES.join(', ')} and their aliases)`);
        options.log(`${name}: no registry answered; building an equivalent from Debian packages`);
      }
      if (!recipe) throw new Error(`${name}: not present and no recipe builds it`);
      toBuild.push({ name, started });
    }
    // Recipes build side by side: apt downloads dominate, and each works in a tree of its own.
    const recipesToBuild = [...new Map(toBuild.map((b) => [recipeFor(b.name)!.name, b])).values()];
    const built = await Promise.allSettled(
      recipesToBuild.map(async ({ name, started }) => {
        const recipe = recipeFor(name)!;
        await buildOffline(recipe, recipeHash(recipe, SUITE), { cacheDir, log: options.log });
        options.log(`${recipe.name}: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }),
    );
    const failures = built.flatMap((b, i) => (b.status === 'rejected' ? [`${recipesToBuild[i].name}: ${(b.reason as Error).message}`] : []));
    if (failures.length) throw new Error(failures.join('\n'));
    for (const { name, started } of toBuild) results.push({ name, action: 'built', seconds: (Date.now() - started) / 1000 });
    return results;
  });
}
