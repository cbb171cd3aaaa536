/**
 * Package caches per worker host and ecosystem, mounted into install steps so that an install with no
 * snapshot yet still finds its packages on disk. npm's cache (cacache) and pip's are written with
 * atomic renames and verified on read, so cells running at once may share them.
 *
 * Trust: every consumer's install on the host writes the same cache. npm checks each package against
 * the lockfile's integrity hash; pip checks only with --require-hashes. A deployment running consumers
 * that must not influence each other sets COMPAT_PACKAGE_CACHES=off.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { RUNNER_UID } from '../ports.js';

const run = promisify(execFile);

/** Where each cache is mounted, the variable that points the tool at it, and the tool's own default. */
const ECOSYSTEMS = [
  { name: 'npm', mount: '/compat/cache/npm', variable: 'npm_config_cache', home: '/home/compat/.npm' },
  { name: 'pip', mount: '/compat/cache/pip', variable: 'PIP_CACHE_DIR', home: '/home/compat/.cache/pip' },
] as const;

export interface PackageCacheMounts {
  binds: string[];
  env: Record<string, string>;
  /** The variables as they must be once the caches are not mounted (in a committed snapshot). */
  unmountedEnv: string[];
}

const ready = new Set<string>();

/** The caches' binds and env; none when disabled. Creates the host folders on first use. */
export async function packageCacheMounts(dataDir: string, enabled: boolean): Promise<PackageCacheMounts> {
  if (!enabled) return { binds: [], env: {}, unmountedEnv: [] };
  const binds: string[] = [];
  const env: Record<string, string> = {};
  for (const eco of ECOSYSTEMS) {
    const dir = path.join(dataDir, 'package-cache', eco.name);
    if (!ready.has(dir)) {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
      // Only the folder itself: its content was written by the runner user already.
      await run('chown', [`${RUNNER_UID}:${RUNNER_UID}`, '--', dir]);
      ready.add(dir);
    }
    binds.push(`${dir}:${eco.mount}:rw`);
    env[eco.variable] = eco.mount;
  }
  return { binds, env, unmountedEnv: ECOSYSTEMS.map((eco) => `${eco.variable}=${eco.home}`) };
}
