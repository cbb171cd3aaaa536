/**
 * The image a build or a cell runs in. A name must already be on this worker host; a Dockerfile is built
 * here through the engine, tagged by the digest of its context (every file's path, mode and content that
 * its .dockerignore leaves in, and the CA bundle it is given), and reused while that digest is unchanged:
 * a second cell, a second run or a second worker process finds the tag and builds nothing.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { pack } from 'tar-stream';
import type { ImageRef } from '../../common/matrix/schema.js';
import { ImageBuildError, LABEL_KIND } from '../container/spec.js';
import { InfraError, type ImageCatalog } from '../ports.js';

/**
 * Where the host's CA bundle is put in every Dockerfile's context (empty without one): a Dockerfile whose
 * RUN steps reach a registry through a TLS-intercepting proxy copies it over the image's bundle.
 */
/**
 * Docker's own .dockerignore rules. Required: the module is CommonJS with typings that declare a default
 * export it does not have, so an ESM import of it is typed one way and is another at run time.
 */
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as () => Ignore;

export const CONTEXT_CA_FILE = 'compat-ca-bundle.crt';
export const LABEL_CONTEXT_DIGEST = 'compat.context-digest';
/** A context is read into memory to hash and send it: real ones are a Dockerfile and a few files. */
const CONTEXT_MAX_BYTES = 256 * 1024 * 1024;
const BUILD_TIMEOUT_MS = 60 * 60 * 1000;
const BUILD_LIMITS = { memoryMb: 2048, cpus: 1, pids: 1024 };

interface ContextEntry {
  name: string;
  mode: number;
  /** File content, or a symlink's target. */
  data: Buffer;
  type: 'file' | 'symlink';
}

/**
 * The context's files, sorted, as `docker build` sends them: what the context's `.dockerignore` excludes
 * left out (Docker's own rules, `!` exceptions included; the Dockerfile and `.dockerignore` always go),
 * and `.git` too (never part of what a Dockerfile copies from a checkout).
 */
function readContext(dir: string, dockerfile: string): ContextEntry[] {
  const rulesFile = path.join(dir, '.dockerignore');
  const rules = existsSync(rulesFile) ? readFileSync(rulesFile, 'utf8') : '';
  const ignore = dockerignore().add(rules);
  // Without exceptions an excluded folder is not walked at all (node_modules, build output).
  const hasExceptions = rules.split('\n').some((line) => line.trim().startsWith('!'));
  const excluded = (rel: string) => rel !== dockerfile && rel !== '.dockerignore' && ignore.ignores(rel);
  const entries: ContextEntry[] = [];
  let total = 0;
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(dir, relative)).sort()) {
      if (name === '.git') continue;
      const rel = relative ? `${relative}/${name}` : name;
      const full = path.join(dir, rel);
      const stat = lstatSync(full);
      if (stat.isDirectory()) {
        // A folder the Dockerfile is in is walked anyway: the Dockerfile always goes.
        if (!hasExceptions && excluded(rel) && !dockerfile.startsWith(`${rel}/`)) continue;
        walk(rel);
        continue;
      }
      if (excluded(rel)) continue;
      if (stat.isSymbolicLink()) entries.push({ name: rel, mode: 0o777, data: Buffer.from(readlinkSync(full)), type: 'symlink' });
      else if (stat.isFile()) {
        total += stat.size;
        if (total > CONTEXT_MAX_BYTES) throw new InfraError(`image context ${dir} is larger than ${CONTEXT_MAX_BYTES / 1024 / 1024} MB (leave out what the build does not need in its .dockerignore)`, false);
        // Only the executable bit matters to a build; owners and times do not change what it makes.
        entries.push({ name: rel, mode: stat.mode & 0o111 ? 0o755 : 0o644, data: readFileSync(full), type: 'file' });
      }
    }
  };
  walk('');
  return entries;
}

export interface DockerfileContext {
  digest: string;
  tag: string;
  dockerfile: string;
  entries: ContextEntry[];
}

/** Reads a Dockerfile's context and names the image it makes. */
export function dockerfileContext(ref: { dockerfile: string; context: string }, caBundle: string | null): DockerfileContext {
  const dockerfile = path.relative(ref.context, ref.dockerfile).split(path.sep).join('/');
  let entries: ContextEntry[];
  try {
    entries = readContext(ref.context, dockerfile);
  } catch (error) {
    if (error instanceof InfraError) throw error;
    throw new InfraError(`image context ${ref.context} cannot be read: ${(error as Error).message}`, false);
  }
  if (!entries.some((e) => e.name === dockerfile && e.type === 'file')) {
    throw new InfraError(`Dockerfile ${ref.dockerfile} does not exist in its context ${ref.context}`, false);
  }
  const ca = caBundle ? readFileSync(caBundle) : Buffer.alloc(0);
  const all = [...entries.filter((e) => e.name !== CONTEXT_CA_FILE), { name: CONTEXT_CA_FILE, mode: 0o644, data: ca, type: 'file' as const }];
  const hash = createHash('sha256').update(`dockerfile\0${dockerfile}\0`);
  for (const entry of all) hash.update(`${entry.type}\0${entry.name}\0${entry.mode}\0${entry.data.length}\0`).update(entry.data);
  const digest = hash.digest('hex');
  const slug = path.basename(ref.context).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'context';
  return { digest, tag: `compat-dockerfile/${slug.slice(0, 60)}:${digest.slice(0, 20)}`, dockerfile, entries: all };
}

async function tarOf(entries: ContextEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const entry of entries) {
    if (entry.type === 'symlink') archive.entry({ name: entry.name, type: 'symlink', linkname: entry.data.toString(), mode: entry.mode });
    else archive.entry({ name: entry.name, mode: entry.mode, mtime: new Date(0) }, entry.data);
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A build in progress on this worker: a second cell that needs the same image follows it. */
interface Build {
  output: string;
  listeners: Set<(text: string) => void>;
  done: Promise<void>;
}

const building = new Map<string, Build>();

/**
 * Makes sure the image exists on this host and returns its name. Its build's output goes to `log` (a cell
 * that joins a build in progress gets what was printed so far, then the rest); a build that fails is an
 * infrastructure error carrying the engine's message, never a test failure, and it is not retried.
 */
export async function ensureImage(
  images: ImageCatalog,
  ref: ImageRef,
  options: { caBundle: string | null; log: (text: string) => void; signal?: AbortSignal },
): Promise<string> {
  if (typeof ref === 'string') {
    if (!(await images.has(ref))) throw new InfraError(`image ${ref} is missing on this worker host: run \`compat images\``, false);
    return ref;
  }
  const context = dockerfileContext(ref, options.caBundle);
  if (await images.has(context.tag)) {
    options.log(`[compat-matrix] image ${context.tag} (from ${ref.dockerfile}, context unchanged): reused\n`);
    return context.tag;
  }
  let build = building.get(context.tag);
  if (build) {
    options.log(build.output);
    build.listeners.add(options.log);
  } else {
    const started: Build = { output: '', listeners: new Set([options.log]), done: Promise.resolve() };
    const emit = (text: string) => {
      started.output += text;
      for (const listener of started.listeners) listener(text);
    };
    started.done = (async () => {
      emit(`[compat-matrix] building image ${context.tag} from ${ref.dockerfile} (context ${ref.context})\n`);
      const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(BUILD_TIMEOUT_MS)]) : AbortSignal.timeout(BUILD_TIMEOUT_MS);
      await images.build({
        context: await tarOf(context.entries),
        dockerfile: context.dockerfile,
        tag: context.tag,
        labels: { [LABEL_KIND]: 'image', [LABEL_CONTEXT_DIGEST]: context.digest },
        limits: BUILD_LIMITS,
        onOutput: emit,
        signal,
      });
      emit(`[compat-matrix] built image ${context.tag}\n`);
    })().finally(() => building.delete(context.tag));
    building.set(context.tag, started);
    build = started;
  }
  try {
    await build.done;
  } catch (error) {
    const why = error instanceof ImageBuildError ? error.message : `the engine failed the build: ${(error as Error).message}`;
    throw new InfraError(`image build failed (${ref.dockerfile}): ${why.trim().slice(0, 500)}`, false);
  } finally {
    build.listeners.delete(options.log);
  }
  return context.tag;
}
