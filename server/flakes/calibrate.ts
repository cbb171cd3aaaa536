/**
 * `compat calibrate` (issue 21 item 1): the baseline against itself. N runs whose candidate and
 * baseline are the same release, each side tested anew (no reused baseline), no bisect: any test that
 * fails in them fails by chance, and its rate (server/store/flakes.ts) tells the verdict how many
 * re-runs its new failures need (common/flakes/rule.ts). Calibration runs never decide the gate (their
 * baseline is not the candidate's own, common/verdict.ts gateRuns).
 */
import semver from 'semver';
import { findLibrary, type ResolvedMatrix } from '../../common/matrix/load.js';
import { compileTagPattern, taggedVersions } from '../../common/versions.js';
import { PlanError } from '../planner/plan.js';
import type { GitRepositories } from '../ports.js';
import type { Orchestrator } from '../runs/orchestrator.js';

export interface CalibrateRequest {
  library: string;
  consumers?: string[];
  /** Runs, each two samples per test (both sides). @defaultValue 10 */
  runs?: number;
  /** The release to calibrate. @defaultValue the highest stable release tag */
  version?: string;
}

export const CALIBRATE_RUNS_DEFAULT = 10;
export const CALIBRATE_RUNS_MAX = 50;

/** The release a calibration runs when none is named: the highest stable release tag. */
export async function latestRelease(matrix: ResolvedMatrix, repos: GitRepositories, libraryName: string): Promise<string> {
  const library = findLibrary(matrix, libraryName);
  if (!library) throw new PlanError('library', `unknown library "${libraryName}"`);
  const mirror = repos.open(library.repo);
  await mirror.update(true);
  const releases = taggedVersions((await mirror.tags()).map((t) => t.tag), compileTagPattern(library.tags)).filter((r) => !semver.prerelease(r.version));
  const latest = releases.at(-1);
  if (!latest) throw new PlanError('version', `no release tag of ${libraryName} to calibrate; give --version`);
  return latest.tag;
}

/** Plans the calibration's runs; returns their ids, first to last. */
export async function calibrate(orchestrator: Orchestrator, repos: GitRepositories, matrix: ResolvedMatrix, request: CalibrateRequest, requestedBy: string): Promise<{ version: string; runs: string[] }> {
  const runs = request.runs ?? CALIBRATE_RUNS_DEFAULT;
  if (!Number.isInteger(runs) || runs < 1 || runs > CALIBRATE_RUNS_MAX) throw new PlanError('runs', `runs: ${runs} is not a whole number from 1 to ${CALIBRATE_RUNS_MAX}`);
  const version = request.version ?? (await latestRelease(matrix, repos, request.library));
  const batch = new Date().toISOString();
  const ids: string[] = [];
  for (let index = 0; index < runs; index++) {
    const run = await orchestrator.createRun(
      matrix,
      { library: request.library, candidate: version, baseline: version, freshBaseline: true, ...(request.consumers?.length ? { consumers: request.consumers } : {}) },
      'api',
      { requestedBy, calibration: { batch, index, of: runs } },
    );
    ids.push(run.id);
  }
  return { version, runs: ids };
}
