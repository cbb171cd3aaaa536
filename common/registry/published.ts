/**
 * What a package registry serves: the versions of a package users can install today, and the file of
 * each (npm's tarball, PyPI's wheel or sdist) with the digest the registry publishes for it. Tags do not
 * always say this (versions published without a tag, a tag on another version's commit), so a library
 * that names its package takes its baseline from here (CONTRACT: `registry`).
 */
import { createHash } from 'node:crypto';
import semver from 'semver';
import { z } from 'zod';

export type RegistryKind = 'npm' | 'pypi';

/** `registry: {npm: NAME}` or `{pypi: NAME}` in matrix.yaml. */
export type RegistryRef = { npm: string } | { pypi: string };

export interface RegistryUrls {
  /** npm registry base. @defaultValue https://registry.npmjs.org (env COMPAT_NPM_REGISTRY) */
  npm: string;
  /** PyPI base, serving /pypi/NAME/json. @defaultValue https://pypi.org (env COMPAT_PYPI_URL) */
  pypi: string;
}

export const DEFAULT_REGISTRY_URLS: RegistryUrls = { npm: 'https://registry.npmjs.org', pypi: 'https://pypi.org' };

/** One installable file of one published version (kept in a run's meta, so a zod schema). */
export const PublishedFileSchema = z.object({
  registry: z.enum(['npm', 'pypi']),
  name: z.string(),
  /** As semver (PyPI's `2.0.0b1` becomes `2.0.0-b1`). */
  version: z.string(),
  /** As the registry spells it. */
  published: z.string(),
  url: z.string(),
  filename: z.string(),
  digest: z.object({ algorithm: z.enum(['sha1', 'sha256', 'sha512']), hex: z.string() }),
});
export type PublishedFile = z.infer<typeof PublishedFileSchema>;

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

export function registryOf(ref: RegistryRef): { kind: RegistryKind; name: string } {
  return 'npm' in ref ? { kind: 'npm', name: ref.npm } : { kind: 'pypi', name: ref.pypi };
}

/** How a run names a registry baseline: `npm:is-number@7.0.0`. */
export function describePublished(file: Pick<PublishedFile, 'registry' | 'name' | 'published'>): string {
  return `${file.registry}:${file.name}@${file.published}`;
}

/** PEP 440 release and pre-release versions as semver; anything else (dev, post, local) is left out. */
export function pep440ToSemver(version: string): string | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:\.?(a|b|rc)\.?(\d+))?$/i.exec(version.trim());
  if (!m) return semver.valid(version);
  const pre = m[4] ? `-${m[4].toLowerCase()}${m[5]}` : '';
  return semver.valid(`${m[1]}.${m[2]}.${m[3] ?? '0'}${pre}`);
}

const NpmPackument = z.object({
  versions: z.record(
    z.string(),
    z.object({
      dist: z.object({ tarball: z.string().url(), shasum: z.string().optional(), integrity: z.string().optional() }),
    }),
  ),
});

const PypiProject = z.object({
  releases: z.record(
    z.string(),
    z.array(
      z.object({
        filename: z.string(),
        url: z.string(),
        packagetype: z.string(),
        yanked: z.boolean().optional(),
        digests: z.object({ sha256: z.string() }),
      }),
    ),
  ),
});

async function getJson(url: string, accept: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new RegistryError(`${url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
  }
  if (response.status === 404) throw new RegistryError(`${url}: no such package (404)`);
  if (!response.ok) throw new RegistryError(`${url}: HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new RegistryError(`${url}: not JSON`);
  }
}

function parsed<T>(schema: z.ZodType<T>, value: unknown, url: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new RegistryError(`${url}: unexpected answer (${result.error.issues[0].path.join('.')}: ${result.error.issues[0].message})`);
  return result.data;
}

async function npmFiles(name: string, base: string): Promise<PublishedFile[]> {
  // Scoped names keep their "@" and escape their "/" (@scope%2Fname), as npm itself asks.
  const url = `${base.replace(/\/+$/, '')}/${name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}`;
  const doc = parsed(NpmPackument, await getJson(url, 'application/vnd.npm.install-v1+json'), url);
  const files: PublishedFile[] = [];
  for (const [published, { dist }] of Object.entries(doc.versions)) {
    const version = semver.valid(published);
    if (!version) continue;
    const sha512 = dist.integrity?.startsWith('sha512-') ? Buffer.from(dist.integrity.slice(7), 'base64').toString('hex') : null;
    const digest = sha512 ? { algorithm: 'sha512' as const, hex: sha512 } : dist.shasum ? { algorithm: 'sha1' as const, hex: dist.shasum } : null;
    if (!digest) continue;
    const filename = decodeURIComponent(new URL(dist.tarball).pathname.split('/').pop() ?? `${name}-${published}.tgz`);
    files.push({ registry: 'npm', name, version, published, url: dist.tarball, filename, digest });
  }
  return files;
}

/** A release's file for a consumer: a pure-Python wheel if there is one, else the sdist. */
function pickPypiFile<T extends { filename: string; packagetype: string }>(files: T[]): T | undefined {
  return (
    files.find((f) => f.packagetype === 'bdist_wheel' && /-(py3|py2\.py3)-none-any\.whl$/.test(f.filename)) ??
    files.find((f) => f.packagetype === 'sdist')
  );
}

async function pypiFiles(name: string, base: string): Promise<PublishedFile[]> {
  const url = `${base.replace(/\/+$/, '')}/pypi/${encodeURIComponent(name)}/json`;
  const doc = parsed(PypiProject, await getJson(url, 'application/json'), url);
  const files: PublishedFile[] = [];
  for (const [published, releaseFiles] of Object.entries(doc.releases)) {
    const version = pep440ToSemver(published);
    const file = pickPypiFile(releaseFiles.filter((f) => !f.yanked));
    if (!version || !file) continue;
    files.push({ registry: 'pypi', name, version, published, url: new URL(file.url, url).toString(), filename: file.filename, digest: { algorithm: 'sha256', hex: file.digests.sha256 } });
  }
  return files;
}

/** Every version the registry serves, with its file, sorted by semver. */
export async function publishedFiles(ref: RegistryRef, urls: RegistryUrls): Promise<PublishedFile[]> {
  const { kind, name } = registryOf(ref);
  const files = kind === 'npm' ? await npmFiles(name, urls.npm) : await pypiFiles(name, urls.pypi);
  return files.sort((a, b) => semver.compare(a.version, b.version));
}

/** Downloads a published file and checks it against the registry's digest. */
export async function downloadPublished(file: PublishedFile, maxBytes: number): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(file.url, { signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    throw new RegistryError(`${file.url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
  }
  if (!response.ok) throw new RegistryError(`${file.url}: HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > maxBytes) throw new RegistryError(`${file.url}: ${length} bytes, more than the ${maxBytes} an artifact may have`);
  const data = Buffer.from(await response.arrayBuffer());
  if (data.length > maxBytes) throw new RegistryError(`${file.url}: more than the ${maxBytes} bytes an artifact may have`);
  const actual = createHash(file.digest.algorithm).update(data).digest('hex');
  if (actual !== file.digest.hex.toLowerCase()) throw new RegistryError(`${file.url}: ${file.digest.algorithm} is ${actual}, the registry publishes ${file.digest.hex}`);
  return data;
}
