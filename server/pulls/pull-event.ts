/**
 * From "pull request N's head is now C" to a run (issue 18 item 1): the candidate is the head as the
 * forge publishes it in the library's repository (`refs/pull/N/head`, `refs/merge-requests/N/head`),
 * built like a tag; the baseline is where the PR left its target branch (or the latest release). One
 * run per head: an event about a head already measured joins its run, and a new head cancels the
 * unfinished run of the previous one through the orchestrator's own cancel.
 */
import semver from 'semver';
import type { Logger } from '../../common/logger.js';
import type { ResolvedLibrary, ResolvedMatrix } from '../../common/matrix/load.js';
import { compileTagPattern, taggedVersions } from '../../common/versions.js';
import { forgeOf, type ForgeKind, type PullEvent } from '../forges/index.js';
import { PlanError } from '../planner/plan.js';
import type { GitRepositories } from '../ports.js';
import type { Orchestrator } from '../runs/orchestrator.js';
import type { DeliveryOutcome } from '../store/deliveries.js';
import type { PullRunMeta, RunMeta } from '../store/schema.js';
import type { Store } from '../store/store.js';

export interface PullDelivery {
  forge: ForgeKind;
  /** The forge's event name (`pull_request`, `Merge Request Hook`). */
  event: string;
  pull: PullEvent;
  matrix: ResolvedMatrix;
  library: ResolvedLibrary;
}

const DEFAULT_ACTIONS = ['opened', 'synchronize', 'reopened'];

/** The library's repository could not be read: a passing fault, so the delivery may be retried. */
export class PullRepositoryUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PullRepositoryUnavailable';
  }
}

/** Why this event starts nothing for this library, or null when it does. */
export function pullIgnoredReason(library: ResolvedLibrary, pull: PullEvent): string | null {
  const settings = library.pullRequests;
  if (!settings) return `pull requests start no run for ${library.name} (no pullRequests: in matrix.yaml)`;
  const on = settings.on ?? DEFAULT_ACTIONS;
  if (!on.includes(pull.action)) return `pull request action "${pull.action}" is not in pullRequests.on of ${library.name} (${on.join(', ')})`;
  if (settings.label) {
    if (pull.action === 'labeled' && pull.label !== settings.label) return `label "${pull.label ?? ''}" is not "${settings.label}"`;
    if (pull.action !== 'labeled' && !pull.labels.includes(settings.label)) return `pull request #${pull.number} does not carry the label "${settings.label}"`;
  }
  return null;
}

/** The matrix with the library's consumers stripped of their secretEnv: what a fork's PR runs with. */
export function withoutSecrets(matrix: ResolvedMatrix, library: string): { matrix: ResolvedMatrix; withheld: string[] } {
  const withheld = new Set<string>();
  const libraries = matrix.libraries.map((l) => {
    if (l.name !== library) return l;
    return {
      ...l,
      consumers: l.consumers.map((c) => {
        for (const name of c.secretEnv) withheld.add(`${c.name}: ${name}`);
        return { ...c, secretEnv: [] };
      }),
    };
  });
  return { matrix: { ...matrix, libraries }, withheld: [...withheld].sort() };
}

export class PullEvents {
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: { store: Store; orchestrator: Orchestrator; repos: GitRepositories; log: Logger }) {}

  /** Starts the run for a PR's head, joins the one already started for it, and cancels the previous head's. */
  async runForPull(d: PullDelivery, delivery: string | null): Promise<DeliveryOutcome> {
    const { library, pull } = d;
    const ignored = pullIgnoredReason(library, pull);
    if (ignored) return { ignored };
    // One PR's events take turns: two pushes in quick succession plan in order and the second cancels the first.
    return this.turn(`${library.name}\u0000${pull.number}`, async () => {
      const runs = this.deps.store.deliveries.webhookRunsOfPull(library.name, pull.number);
      const same = runs.find((r) => r.candidateSha === pull.headSha && r.verdict !== 'cancelled');
      if (same) {
        this.deps.log.info({ run: same.id, library: library.name, pull: pull.number, delivery }, 'Pull request event joins the run of its head');
        return { runId: same.id };
      }
      let runId: string;
      try {
        runId = await this.plan(d, delivery);
      } catch (error) {
        if (!(error instanceof PlanError)) throw error;
        if (error.field === 'library') throw new PullRepositoryUnavailable(error.message);
        return { ignored: `cannot plan a run: ${error.message}` };
      }
      for (const previous of runs) {
        if (previous.status === 'done') continue;
        const { outcome } = await this.deps.orchestrator.cancelRun(previous.id, `pull request #${pull.number}: new head ${pull.headSha.slice(0, 7)}`);
        this.deps.log.info({ run: previous.id, by: runId, outcome }, 'A new head of the pull request cancels the run of the previous one');
      }
      return { runId };
    });
  }

  private async plan(d: PullDelivery, delivery: string | null): Promise<string> {
    const { library, pull } = d;
    const forge = forgeOf(d.forge);
    const candidate = forge.pullHeadRef(pull.number);
    const mirror = this.deps.repos.open(library.repo);
    try {
      await mirror.update(true);
    } catch (error) {
      throw new PlanError('library', (error as Error).message);
    }
    const mode = library.pullRequests?.baseline ?? 'merge-base';
    let baseline: string;
    if (mode === 'merge-base') {
      const found = await mirror.mergeBase(`refs/heads/${pull.baseRef}`, candidate).catch(() => null);
      if (!found) throw new PlanError('baseline', `no merge base of ${candidate} with ${pull.baseRef} in ${library.name}`);
      baseline = found;
    } else {
      const releases = taggedVersions((await mirror.tags()).map((t) => t.tag), compileTagPattern(library.tags)).filter((r) => !semver.prerelease(r.version));
      const latest = releases.at(-1);
      if (!latest) throw new PlanError('baseline', `${library.name} has no release tag to measure the pull request against`);
      baseline = latest.tag;
    }
    const { matrix, withheld } = pull.fromFork ? withoutSecrets(d.matrix, library.name) : { matrix: d.matrix, withheld: [] };
    const pullMeta: PullRunMeta = { number: pull.number, headSha: pull.headSha, baseRef: pull.baseRef, baseline: mode, fromFork: pull.fromFork, withheld };
    const meta: RunMeta = {
      forge: d.forge,
      delivery,
      event: d.event,
      repository: pull.repository,
      ...(pull.projectId !== undefined ? { projectId: pull.projectId } : {}),
      commitSha: pull.headSha,
      statusTarget: library.statusTarget,
      pull: pullMeta,
    };
    const run = await this.deps.orchestrator.createRun(matrix, { library: library.name, candidate, baseline }, 'webhook', meta);
    this.deps.log.info({ run: run.id, library: library.name, pull: pull.number, head: pull.headSha, baseline, delivery, withheld: withheld.length }, 'Pull request event started a run');
    return run.id;
  }

  private async turn<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.turns.set(key, next);
    try {
      return await next;
    } finally {
      if (this.turns.get(key) === next) this.turns.delete(key);
    }
  }
}
