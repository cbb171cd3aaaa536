/**
 * Reads matrix.yaml once, at the edge: YAML syntax errors and schema issues are all collected and each
 * is placed at its line and column, so `compat validate` can print `FILE:LINE:COL: path: message`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { Matrix, type ConsumerConfig, type ImageRef, type LibraryConfig, type MatrixData, type ResolvedConsumer, type StatusTarget } from './schema.js';
import type { Backend } from '../types.js';

// Their one definition is the zod schema (schema.ts); re-exported here, where the resolved matrix is.
export type { ResolvedConsumer, StatusTarget };

export interface MatrixProblem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export class MatrixError extends Error {
  constructor(readonly problems: MatrixProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'MatrixError';
  }
}

export function formatProblem(p: MatrixProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path || '(document)'}: ${p.message}`;
}

const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_RESOURCES = { memoryMb: 1024, cpus: 1, pids: 512, diskMb: 10240 };
const DEFAULT_RERUNS = 2;

export interface ResolvedLibrary extends Omit<LibraryConfig, 'consumers'> {
  repo: string;
  /** From `forge:`, else from a github.com / gitlab.com `repo:`; null: no status is posted. */
  statusTarget: StatusTarget | null;
  tags: string;
  build: Omit<LibraryConfig['build'], 'image'> & { image: ImageRef; timeoutSeconds: number };
  consumers: ResolvedConsumer[];
}

export interface ResolvedMatrix {
  file: string;
  reruns: number;
  databases: { postgres: { image: string }; mysql: { image: string } };
  libraries: ResolvedLibrary[];
}

/**
 * Where matrix.yaml's local paths may point (issue 16 item 9): the worker clones a local repository and
 * tars a Dockerfile's context from the host, so a path out of these would hand a host folder to a build.
 */
export interface PathRules {
  /**
   * Folders a local repository (`repo:` that is not a URL) may be in, besides matrix.yaml's own folder.
   * From `COMPAT_REPO_ROOTS` (colon-separated). Dockerfile contexts stay in matrix.yaml's folder.
   */
  repoRoots: string[];
}

/** The rules an operator set: `COMPAT_REPO_ROOTS`, colon-separated absolute (or cwd-relative) folders. */
export function pathRulesFromEnv(env: NodeJS.ProcessEnv = process.env): PathRules {
  return { repoRoots: (env.COMPAT_REPO_ROOTS ?? '').split(':').filter((p) => p.trim() !== '').map((p) => path.resolve(p)) };
}

export function parseMatrix(text: string, file: string, options: { paths?: PathRules } = {}): ResolvedMatrix {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: MatrixProblem[] = [];
  for (const error of doc.errors) {
    // Without prettyErrors the parser leaves linePos unset: place the error from its offset.
    const { line, col } = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    problems.push({ file, line, col, path: '', message: error.message.split('\n')[0] });
  }
  if (problems.length > 0) throw new MatrixError(problems);

  const result = Matrix.safeParse(doc.toJS());
  if (!result.success) {
    for (const issue of result.error.issues) {
      let issuePath = issue.path as Array<string | number>;
      let message = issue.message;
      // Point an unknown key at the key itself rather than at the map that holds it.
      if (issue.code === 'unrecognized_keys') {
        issuePath = [...issuePath, issue.keys[0]];
        message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      } else if (issue.code === 'invalid_type' && message.endsWith('received undefined')) {
        message = 'required field is missing';
      }
      const { line, col } = positionOf(doc.contents, issuePath, lineCounter, issue.code === 'unrecognized_keys');
      problems.push({ file, line, col, path: issuePath.join('.'), message });
    }
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new MatrixError(problems);
  }
  const resolved = resolve(result.data, file);
  if (options.paths) {
    for (const problem of pathProblems(result.data, resolved, options.paths)) {
      const { line, col } = positionOf(doc.contents, problem.path, lineCounter, false);
      problems.push({ file, line, col, path: problem.path.join('.'), message: problem.message });
    }
    if (problems.length > 0) throw new MatrixError(problems);
  }
  return resolved;
}

/** The folder itself when it exists (a symlink in the path leads where it leads), else the path as written. */
function realOf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function isWithin(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

const isLocal = (repo: string) => path.isAbsolute(repo);

/** Local paths of the matrix that leave where they may be: repositories out of the roots, contexts out of matrix.yaml's folder. */
function pathProblems(written: MatrixData, matrix: ResolvedMatrix, rules: PathRules): Array<{ path: Array<string | number>; message: string }> {
  const home = realOf(path.dirname(matrix.file));
  const roots = [home, ...rules.repoRoots.map(realOf)];
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const repo = (value: string, at: Array<string | number>) => {
    if (!isLocal(value) || roots.some((root) => isWithin(realOf(value), root))) return;
    problems.push({
      path: at,
      message: `local repository ${value} is outside matrix.yaml's folder${rules.repoRoots.length ? ` and COMPAT_REPO_ROOTS (${rules.repoRoots.join(':')})` : ''}; list its folder in COMPAT_REPO_ROOTS, or give a URL`,
    });
  };
  const image = (value: ImageRef, as: ConsumerConfig['image'], at: Array<string | number>) => {
    if (typeof value === 'string' || isWithin(realOf(value.context), home)) return;
    const hasContext = typeof as === 'object' && as.context !== undefined;
    problems.push({
      path: [...at, hasContext ? 'context' : 'dockerfile'],
      message: `the build context ${value.context} is outside matrix.yaml's folder ${home}; a context is sent whole to the build, so it must be inside it`,
    });
  };
  matrix.libraries.forEach((library, li) => {
    repo(library.repo, ['libraries', li, 'repo']);
    image(library.build.image, written.libraries[li].build.image, ['libraries', li, 'build', 'image']);
    library.consumers.forEach((consumer, ci) => {
      repo(consumer.repo, ['libraries', li, 'consumers', ci, 'repo']);
      image(consumer.image, written.libraries[li].consumers[ci].image, ['libraries', li, 'consumers', ci, 'image']);
    });
  });
  return problems;
}

/**
 * Reads and checks matrix.yaml, local paths included (`COMPAT_REPO_ROOTS` unless `paths` says otherwise):
 * the one way the CLI, the server and the workers read it.
 */
export function loadMatrix(file: string, paths: PathRules = pathRulesFromEnv()): ResolvedMatrix {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MatrixError([{ file, line: 1, col: 1, path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseMatrix(text, file, { paths });
}

/** Walks the YAML tree along a schema path; stops at the deepest node that exists (a missing field points at its parent). */
function positionOf(
  root: unknown,
  issuePath: Array<string | number>,
  lineCounter: LineCounter,
  pointAtKey: boolean,
): { line: number; col: number } {
  let node = root as YamlNode | null;
  let offset = (node as YamlNode | null)?.range?.[0] ?? 0;
  for (let i = 0; i < issuePath.length; i++) {
    const key = issuePath[i];
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) break;
      const last = i === issuePath.length - 1;
      if (last && pointAtKey && isScalar(pair.key)) {
        offset = pair.key.range?.[0] ?? offset;
        break;
      }
      node = (pair.value as YamlNode | null) ?? null;
      offset = node?.range?.[0] ?? (isScalar(pair.key) ? (pair.key.range?.[0] ?? offset) : offset);
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as YamlNode | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return lineCounter.linePos(offset);
}

const HOSTED_FORGES: Record<string, StatusTarget['forge']> = { 'github.com': 'github', 'gitlab.com': 'gitlab' };

/** The status target a library's own settings give: `forge:` first, else a repo URL on github.com or gitlab.com. */
export function statusTargetOf(library: Pick<LibraryConfig, 'forge' | 'repo'>): StatusTarget | null {
  if (library.forge) {
    return 'github' in library.forge
      ? { forge: 'github', repository: library.forge.github, from: 'forge' }
      : { forge: 'gitlab', repository: library.forge.gitlab, from: 'forge' };
  }
  // https://github.com/o/r(.git), ssh://git@github.com/o/r.git, git@github.com:o/r.git
  const url = /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(library.repo) ?? /^[^@/\s]+@([^:/]+):(?!\/)(.+)$/.exec(library.repo);
  if (!url) return null;
  const forge = HOSTED_FORGES[url[1].toLowerCase()];
  const repository = url[2].replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/\.git$/, '');
  const parts = repository.split('/');
  if (!forge || parts.some((p) => !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p)) || parts.length < 2 || (forge === 'github' && parts.length !== 2)) return null;
  return { forge, repository, from: 'repo' };
}

function resolveRepo(repo: string, file: string): string {
  // URLs and scp-style remotes are used as they are; anything else is a path relative to matrix.yaml.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/]+:/.test(repo)) return repo;
  return path.resolve(path.dirname(path.resolve(file)), repo);
}

/** A Dockerfile image with its paths made absolute against matrix.yaml (the schema keeps it in its context). */
function resolveImage(image: ConsumerConfig['image'], file: string): ImageRef {
  if (typeof image === 'string') return image;
  const base = path.dirname(path.resolve(file));
  const dockerfile = path.resolve(base, image.dockerfile);
  return { dockerfile, context: image.context === undefined ? path.dirname(dockerfile) : path.resolve(base, image.context) };
}

function resolve(data: MatrixData, file: string): ResolvedMatrix {
  const defaults = data.defaults ?? {};
  const resources = { ...DEFAULT_RESOURCES, ...defaults.resources };
  return {
    file: path.resolve(file),
    reruns: defaults.reruns ?? DEFAULT_RERUNS,
    databases: {
      postgres: data.databases?.postgres ?? { image: 'compat-postgres:15' },
      mysql: data.databases?.mysql ?? { image: 'compat-mariadb:10.11' },
    },
    libraries: data.libraries.map((library) => ({
      ...library,
      repo: resolveRepo(library.repo, file),
      statusTarget: statusTargetOf(library),
      tags: library.tags ?? 'v{version}',
      build: {
        ...library.build,
        image: resolveImage(library.build.image, file),
        timeoutSeconds: library.build.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      },
      consumers: library.consumers.map((consumer) => ({
        ...consumer,
        image: resolveImage(consumer.image, file),
        repo: resolveRepo(consumer.repo, file),
        env: consumer.env ?? {},
        secretEnv: consumer.secretEnv ?? [],
        timeoutSeconds: consumer.timeoutSeconds ?? defaults.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        resources: { ...resources, ...consumer.resources },
      })),
    })),
  };
}

export function findLibrary(matrix: ResolvedMatrix, name: string): ResolvedLibrary | undefined {
  return matrix.libraries.find((library) => library.name === name);
}

/**
 * The images a Dockerfile starts from (its `FROM` lines, less its own stages and `${ARG}` ones): what must
 * exist before it can be built offline. A Dockerfile that cannot be read has none here; its build says why.
 */
export function baseImagesOf(dockerfile: string): string[] {
  let text: string;
  try {
    text = readFileSync(dockerfile, 'utf8');
  } catch {
    return [];
  }
  const stages = new Set<string>();
  const bases: string[] = [];
  for (const match of text.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    const [, image, stage] = match;
    if (!stages.has(image.toLowerCase()) && !image.includes('$') && image !== 'scratch') bases.push(image);
    if (stage) stages.add(stage.toLowerCase());
  }
  return bases;
}

/** Named images, and the bases of Dockerfile images (the Dockerfile itself is built by the worker on first use). */
function namedImages(image: ImageRef): string[] {
  return typeof image === 'string' ? [image] : baseImagesOf(image.dockerfile);
}

/** Every image the matrix names: build images, consumer images and the database servers its backends need. */
export function imagesOf(matrix: ResolvedMatrix): string[] {
  const images = new Set<string>();
  for (const library of matrix.libraries) {
    for (const image of namedImages(library.build.image)) images.add(image);
    for (const consumer of library.consumers) {
      for (const image of namedImages(consumer.image)) images.add(image);
      for (const backend of consumer.backends as Backend[]) {
        if (backend !== 'sqlite') images.add(matrix.databases[backend].image);
      }
    }
  }
  return [...images];
}
