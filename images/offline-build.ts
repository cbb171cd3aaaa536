/**
 * Builds an image with no registry: `debootstrap --variant=minbase` once into a cached base tree, then
 * per recipe a copy of it, packages installed by apt in a chroot, files added, and `docker import` with
 * the recipe's config and hash label. Every external program is called with an argument array.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ignore } from '@balena/dockerignore';
import { recipeFile, type HostPathsIgnore, type Recipe } from './recipes.js';

export const SUITE = 'bookworm';
export const HASH_LABEL = 'compat.recipe-hash';
const MIRROR = process.env.COMPAT_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

/** Docker's own .dockerignore rules (CommonJS, typed with a default export it does not have). */
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as () => Ignore;

/**
 * Copies host paths into an image tree, leaving out what a .dockerignore excludes, as `docker build`
 * would. Modes and symlinks are kept as they are.
 */
export function copyHostPaths(paths: Record<string, string>, imageRoot: string, ignore?: HostPathsIgnore): void {
  const keep = new Set(ignore?.keep ?? []);
  const lines = ignore && existsSync(ignore.rulesFile) ? readFileSync(ignore.rulesFile, 'utf8').split('\n').filter((line) => !keep.has(line.trim())) : [];
  const rules = dockerignore().add(lines);
  for (const [target, source] of Object.entries(paths)) {
    const dest = path.join(imageRoot, target);
    mkdirSync(path.dirname(dest), { recursive: true });
    cpSync(source, dest, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: (src) => {
        if (!ignore) return true;
        const rel = path.relative(ignore.root, src).split(path.sep).join('/');
        return rel === '' || rel.startsWith('..') || !rules.ignores(rel);
      },
    });
  }
}

export interface BuildLog {
  (line: string): void;
}

/** Runs a program; on failure the error carries the tail of its output. */
export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')}... exited with ${code}: ${out.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

const CHROOT_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  DEBIAN_FRONTEND: 'noninteractive',
  LANG: 'C.UTF-8',
  HOME: '/root',
};

function chroot(dir: string, args: string[]): Promise<string> {
  return run('chroot', [dir, ...args], { env: CHROOT_ENV });
}

const bases = new Map<string, Promise<string>>();

/** The minbase tree, made once per data dir and reused by every recipe (recipes building side by side share one). */
function baseTree(cacheDir: string, log: BuildLog): Promise<string> {
  let base = bases.get(cacheDir);
  if (!base) {
    base = makeBaseTree(cacheDir, log);
    bases.set(cacheDir, base);
    base.catch(() => bases.delete(cacheDir));
  }
  return base;
}

async function makeBaseTree(cacheDir: string, log: BuildLog): Promise<string> {
  const dir = path.join(cacheDir, `${SUITE}-minbase`);
  if (existsSync(path.join(dir, '.compat-complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  log(`debootstrap --variant=minbase ${SUITE} (once; cached in ${dir})`);
  await run('debootstrap', ['--variant=minbase', SUITE, partial, MIRROR]);
  writeFileSync(path.join(partial, '.compat-complete'), new Date().toISOString());
  renameSync(partial, dir);
  return dir;
}

/** The host's apt sources and settings (mirrors, proxies, snapshot pins) apply inside the chroot too. */
function copyAptConfig(root: string): void {
  const sources = '/etc/apt/sources.list.d';
  if (existsSync(sources) && readdirSync(sources).some((f) => f.endsWith('.sources') || f.endsWith('.list'))) {
    for (const file of readdirSync(sources)) copyFileSync(path.join(sources, file), path.join(root, 'etc/apt/sources.list.d', file));
    rmSync(path.join(root, 'etc/apt/sources.list'), { force: true });
  }
  const confDir = '/etc/apt/apt.conf.d';
  if (existsSync(confDir)) {
    for (const file of readdirSync(confDir)) {
      if (/proxy|artifact|valid|snapshot/i.test(file)) copyFileSync(path.join(confDir, file), path.join(root, 'etc/apt/apt.conf.d', file));
    }
  }
  if (existsSync('/etc/resolv.conf')) copyFileSync('/etc/resolv.conf', path.join(root, 'etc/resolv.conf'));
  // No service starts inside a chroot.
  writeFileSync(path.join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n');
  chmodSync(path.join(root, 'usr/sbin/policy-rc.d'), 0o755);
}

export async function buildOffline(recipe: Recipe, hash: string, options: { cacheDir: string; log: BuildLog }): Promise<void> {
  const base = await baseTree(options.cacheDir, options.log);
  const slug = recipe.name.replace(/[^A-Za-z0-9_.-]/g, '_');
  const root = path.join(options.cacheDir, `build-${slug}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  try {
    options.log(`${recipe.name}: installing ${recipe.packages.length} Debian packages`);
    // cp -a: a root file system has device nodes, ownerships and hard links that must survive the copy.
    await run('cp', ['-a', base, root]);
    copyAptConfig(root);
    if (recipe.preInstall) await chroot(root, ['/bin/sh', '-ec', recipe.preInstall]);
    await chroot(root, ['apt-get', 'update', '-qq']);
    await chroot(root, ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...recipe.packages]);
    if (recipe.postInstall) await chroot(root, ['/bin/sh', '-ec', recipe.postInstall]);
    for (const [target, source] of Object.entries(recipe.files ?? {})) {
      const dest = path.join(root, target);
      mkdirSync(path.dirname(dest), { recursive: true });
      copyFileSync(recipeFile(source), dest);
      chmodSync(dest, 0o755);
    }
    copyHostPaths(recipe.hostPaths ?? {}, root, recipe.hostPathsIgnore);
    // Leave no host details and no package caches in the image.
    await chroot(root, ['apt-get', 'clean']);
    for (const leftover of ['var/lib/apt/lists', 'var/cache/apt/archives', 'usr/sbin/policy-rc.d', 'etc/resolv.conf', '.compat-complete']) {
      rmSync(path.join(root, leftover), { recursive: true, force: true });
    }
    mkdirSync(path.join(root, 'var/lib/apt/lists/partial'), { recursive: true });
    writeFileSync(path.join(root, 'etc/resolv.conf'), '');

    options.log(`${recipe.name}: docker import`);
    const tarball = `${root}.tar`;
    await run('tar', ['--numeric-owner', '--xattrs', '-C', root, '-cf', tarball, '.']);
    const changes = [...recipe.config, `LABEL ${HASH_LABEL}=${hash}`, 'LABEL org.opencontainers.image.source=compat-matrix/images'];
    const tagArgs = [recipe.name, ...recipe.aliases];
    try {
      await run('docker', ['import', ...changes.flatMap((c) => ['--change', c]), tarball, tagArgs[0]]);
    } finally {
      rmSync(tarball, { force: true });
    }
    for (const alias of tagArgs.slice(1)) await run('docker', ['tag', tagArgs[0], alias]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
