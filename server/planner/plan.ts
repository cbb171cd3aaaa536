/**
 * Planning: a request (library, candidate, optional baseline and filters) becomes a run with its cells.
 * Candidate and baseline are resolved against the library's tags with semver; every consumer x backend
 * it declares is a cell, and each cell runs on both sides.
 */
import { randomBytes } from 'node:crypto';
import semver from 'semver';
import { z } from 'zod';
import { cellIdOf, cellKey } from '../../common/cell.js';
import { refNameProblem } from '../../common/git/ref.js';
import { GitError } from '../../common/git/mirror.js';
import { findLibrary, type ResolvedMatrix } from '../../common/matrix/load.js';
import { BACKENDS, type Backend, type Trigger } from '../../common/types.js';
import { describePublished, registryOf, type PublishedFile } from '../../common/registry/published.js';
import { baselineRefProblem, findPublished, parseBaselineRef, registryRefOf, samePackage } from '../../common/registry/baseline-ref.js';
import { chooseBaseline, compileTagPattern, taggedVersions, versionOfTag } from '../../common/versions.js';
import type { NewCell, NewRun } from '../store/store.js';
import type { RunMeta } from '../store/schema.js';
import type { GitRepositories, PackageRegistry } from '../ports.js';

/** A request that cannot be planned; `field` names what is at fault. Maps to HTTP 400 / exit 2. */
export class PlanError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'PlanError';
  }
}

const Ref = z.string().superRefine((ref, ctx) => {
  const problem = refNameProblem(ref);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a valid git ref: ${problem}` });
});

/** A tag or commit, or a published version (common/registry/baseline-ref.ts). */
const Baseline = z.string().superRefine((text, ctx) => {
  const problem = baselineRefProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const RunRequest = z.strictObject({
  library: z.string().min(1).max(100),
  candidate: Ref,
  baseline: Baseline.optional(),
  consumers: z.array(z.string().min(1).max(100)).max(500).optional(),
  backends: z.array(z.enum(BACKENDS)).optional(),
  /** Test the baseline anew even where a recent identical baseline result could be reused. */
  freshBaseline: z.boolean().optional(),
});
export type RunRequest = z.infer<typeof RunRequest>;

export interface Plan {
  run: NewRun;
  cells: NewCell[];
}

export function newRunId(): string {
  // Time-ordered and short: readable in URLs and logs.
  return `r${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export async function planRun(
  matrix: ResolvedMatrix,
  request: RunRequest,
  options: { repos: GitRepositories; registry: PackageRegistry; trigger: Trigger; meta?: RunMeta },
): Promise<Plan> {
  const library = findLibrary(matrix, request.library);
  if (!library) {
    throw new PlanError('library', `unknown library "${request.library}"; matrix.yaml has ${matrix.libraries.map((l) => `"${l.name}"`).join(', ')}`);
  }
  const pattern = compileTagPattern(library.tags);
  const mirror = options.repos.open(library.repo);
  try {
    await mirror.update(true);
  } catch (error) {
    throw new PlanError('library', (error as Error).message);
  }
  const tags = await mirror.tags();
  const releases = taggedVersions(tags.map((t) => t.tag), pattern);
  const resolve = async (field: string, ref: string) => {
    try {
      return await mirror.resolveFetching(ref);
    } catch (error) {
      if (error instanceof GitError) throw new PlanError(field, error.message);
      throw error;
    }
  };

  const candidateSha = await resolve('candidate', request.candidate);
  const candidateVersion =
    versionOfTag(request.candidate, pattern) ?? releases.find((r) => tags.find((t) => t.tag === r.tag)?.sha === candidateSha)?.version ?? null;

  /**
   * The candidate version's own baseline: the registry's highest version below it (`registry:`), else
   * the highest release tag below it. Throws a PlanError saying why there is none.
   */
  const ownBaseline = async (): Promise<{ ref: string; version: string; file: PublishedFile | null }> => {
    if (!candidateVersion) {
      throw new PlanError('baseline', `candidate "${request.candidate}" is not a release tag matching "${library.tags}"; give a baseline`);
    }
    if (library.registry) {
      // What users run today is what the registry serves, whatever the tags say.
      let published: PublishedFile[];
      try {
        published = await options.registry.publishedFiles(library.registry);
      } catch (error) {
        throw new PlanError('baseline', `the registry did not answer: ${(error as Error).message}; give a baseline tag`);
      }
      const choice = chooseBaseline(candidateVersion, published.map((file) => ({ tag: file.published, version: file.version })));
      const file = published.find((f) => f.published === choice?.tag) ?? null;
      if (!file) {
        const { kind, name } = registryOf(library.registry);
        throw new PlanError('baseline', `${kind} publishes no version of ${name} below ${candidateVersion}; give a baseline`);
      }
      return { ref: describePublished(file), version: file.version, file };
    }
    const baseline = chooseBaseline(candidateVersion, releases);
    if (!baseline) throw new PlanError('baseline', `no release of ${library.name} below ${candidateVersion}; give a baseline`);
    return { ref: baseline.tag, version: baseline.version, file: null };
  };

  let baselineRef: string;
  let baselineVersion: string;
  let baselineFile: PublishedFile | null = null;
  let isOwnBaseline = true;
  const asked = request.baseline ? parseBaselineRef(request.baseline) : null;
  if (asked && !asked.ok) throw new PlanError('baseline', asked.problem);
  if (asked?.ok && asked.baseline.kind === 'registry') {
    // A published version by name: the same file the registry default would install, had it chosen it.
    const wanted = asked.baseline;
    let published: PublishedFile[];
    try {
      published = await options.registry.publishedFiles(registryRefOf(wanted));
    } catch (error) {
      throw new PlanError('baseline', `${wanted.registry} did not answer for ${wanted.name}: ${(error as Error).message}`);
    }
    const file = findPublished(published, wanted.version);
    if (!file) {
      const near = published.slice(-5).map((f) => f.published).join(', ');
      throw new PlanError('baseline', `${wanted.registry} publishes no version ${wanted.version} of ${wanted.name}${near ? ` (its latest: ${near})` : ''}`);
    }
    baselineRef = describePublished(file);
    baselineVersion = file.version;
    baselineFile = file;
    const own = library.registry && registryOf(library.registry);
    isOwnBaseline = Boolean(own && own.kind === file.registry && samePackage(file.registry, own.name, file.name) && (await ownBaseline().catch(() => null))?.file?.published === file.published);
  } else if (request.baseline) {
    baselineRef = request.baseline;
    baselineVersion = versionOfTag(request.baseline, pattern) ?? request.baseline;
  } else {
    const own = await ownBaseline();
    baselineRef = own.ref;
    baselineVersion = own.version;
    baselineFile = own.file;
  }
  // A published file has no commit (its digest, in the run's meta, identifies it); a tag's is resolved.
  const baselineSha = baselineFile ? null : await resolve('baseline', baselineRef);
  if (request.baseline && !baselineFile) {
    // Only a run against the version's own baseline may decide its gate (common/verdict.ts gateRuns): the
    // default one, or a tag named that is the default's commit (a library with `registry:` has the
    // registry's file as its own, which no tag is).
    const defaultTag = !library.registry && candidateVersion ? (chooseBaseline(candidateVersion, releases)?.tag ?? null) : null;
    isOwnBaseline = defaultTag !== null && (await resolve('baseline', defaultTag)) === baselineSha;
  }

  const wanted = request.consumers ? new Set(request.consumers) : null;
  for (const name of wanted ?? []) {
    if (!library.consumers.some((c) => c.name === name)) {
      throw new PlanError('consumers', `unknown consumer "${name}" of ${library.name}; known: ${library.consumers.map((c) => c.name).join(', ')}`);
    }
  }
  const backends = request.backends ? new Set<Backend>(request.backends) : null;
  const cells: NewCell[] = [];
  for (const consumer of library.consumers) {
    if (wanted && !wanted.has(consumer.name)) continue;
    for (const backend of consumer.backends) {
      if (backends && !backends.has(backend)) continue;
      const key = cellKey(consumer.name, backend);
      cells.push({ id: cellIdOf(key), ...key, config: consumer });
    }
  }
  if (cells.length === 0) throw new PlanError('backends', 'no consumer of the selection declares these backends: nothing to run');

  return {
    run: {
      id: newRunId(),
      library: library.name,
      candidate: request.candidate,
      baseline: baselineRef,
      candidateVersion: candidateVersion ?? request.candidate,
      baselineVersion: semver.valid(baselineVersion) ?? baselineVersion,
      candidateSha,
      baselineSha,
      trigger: options.trigger,
      reruns: matrix.reruns,
      baselineSource: baselineFile ? 'registry' : 'tag',
      meta: {
        ...options.meta,
        buildImage: library.build.image,
        ownBaseline: isOwnBaseline,
        ...(baselineFile ? { baselineFile } : {}),
        ...(request.freshBaseline ? { freshBaseline: true } : {}),
      },
    },
    cells,
  };
}
