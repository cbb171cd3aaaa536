/**
 * The one path from "a tag was pushed" (GitHub or GitLab) to a run. A delivery is handled once however
 * often and however concurrently it arrives, across restarts too; two events about the same tag
 * (GitHub sends `create` and `push` for one `git push --tags`) join one run.
 */
import { refNameProblem } from '../../common/git/ref.js';
import type { Logger } from '../../common/logger.js';
import type { ResolvedLibrary, ResolvedMatrix } from '../../common/matrix/load.js';
import { compileTagPattern, versionOfTag } from '../../common/versions.js';
import { PlanError } from '../planner/plan.js';
import { KeyedTurns } from '../runs/keyed-turns.js';
import type { Orchestrator } from '../runs/orchestrator.js';
import type { Deliveries, DeliveryOutcome } from '../store/deliveries.js';
import type { TagRunMeta } from '../store/schema.js';
import type { Forge } from '../store/status-reports.js';
import type { Store } from '../store/store.js';
import type { GitRepositories } from '../ports.js';

/**
 * What a webhook-triggered run keeps in its meta. The status reporter reads `statusTarget` only: it comes
 * from matrix.yaml (issue 16 item 7); `repository` and `projectId` are what the payload said, kept for
 * the record and never posted to.
 */
/** A run's meta from a tag event: its one definition is the store's schema. */
export type { TagRunMeta };

export interface TagEvent extends Omit<TagRunMeta, 'delivery' | 'statusTarget'> {
  matrix: ResolvedMatrix;
  library: ResolvedLibrary;
}

export type TagOutcome = DeliveryOutcome;

/** The library's repository could not be read: a passing fault, so the delivery may be retried. */
export class RepositoryUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepositoryUnavailable';
  }
}

export class TagEvents {
  private readonly deliveries: Deliveries;
  private readonly inflight = new Map<string, Promise<TagOutcome>>();
  private readonly tagTurns = new KeyedTurns();

  constructor(private readonly deps: { store: Store; orchestrator: Orchestrator; repos: GitRepositories; log: Logger }) {
    this.deliveries = deps.store.deliveries;
  }

  /**
   * Handles a delivery once. A repeat gets the run the first one started; a repeat arriving while the
   * first is still being handled waits for it. Only deliveries that started a run are final: an
   * ignored one is looked at again, so redelivering after fixing matrix.yaml works.
   */
  deliver(key: string | null, source: Forge, handle: (key: string | null) => Promise<TagOutcome>): Promise<TagOutcome> {
    if (!key) return handle(null);
    const running = this.inflight.get(key);
    if (running) return running;
    const promise = this.deliverOnce(key, source, handle);
    // Set before the first await: a concurrent identical delivery finds it.
    this.inflight.set(key, promise);
    const done = () => void this.inflight.delete(key);
    promise.then(done, done);
    return promise;
  }

  private async deliverOnce(key: string, source: Forge, handle: (key: string) => Promise<TagOutcome>): Promise<TagOutcome> {
    if (!this.deliveries.claim(key, source)) {
      const known = this.deliveries.outcome(key);
      if (known && 'runId' in known) return known;
      // Claimed but never finished: the server stopped in between. Did it get as far as the run?
      const created = this.deliveries.runCreatedBy(key);
      if (created) {
        this.deliveries.finish(key, { runId: created });
        return { runId: created };
      }
    }
    try {
      const outcome = await handle(key);
      this.deliveries.finish(key, outcome);
      return outcome;
    } catch (error) {
      this.deliveries.release(key);
      throw error;
    }
  }

  /** Starts the run for a tag, or joins the one already started for the same tag at the same commit. */
  async runForTag(event: TagEvent, delivery: string | null): Promise<TagOutcome> {
    const { library, tag } = event;
    const problem = refNameProblem(tag);
    if (problem) return { ignored: `tag "${tag.slice(0, 100)}" ${problem}` };
    if (!versionOfTag(tag, compileTagPattern(library.tags))) {
      return { ignored: `tag "${tag}" does not match the tag pattern "${library.tags}" of ${library.name}` };
    }
    return this.tagTurns.run(`${library.name}\u0000${tag}`, async () => {
      const joined = await this.runOfSameTag(event);
      if (joined) {
        this.deps.log.info({ run: joined, library: library.name, tag, delivery }, 'Tag event joins the run already started for this tag');
        return { runId: joined };
      }
      const meta: TagRunMeta = {
        forge: event.forge,
        delivery,
        event: event.event,
        repository: event.repository,
        ...(event.projectId !== undefined ? { projectId: event.projectId } : {}),
        tag,
        commitSha: event.commitSha,
        statusTarget: library.statusTarget,
      };
      if (!library.statusTarget) {
        this.deps.log.warn({ library: library.name, tag }, 'No status will be posted: the library has no forge: in matrix.yaml and its repo is not on github.com or gitlab.com');
      }
      try {
        const run = await this.deps.orchestrator.createRun(event.matrix, { library: library.name, candidate: tag }, 'webhook', { ...meta });
        this.deps.log.info({ run: run.id, library: library.name, tag, delivery, event: event.event }, 'Tag event started a run');
        return { runId: run.id };
      } catch (error) {
        if (!(error instanceof PlanError)) throw error;
        if (error.field === 'library') throw new RepositoryUnavailable(error.message);
        return { ignored: `cannot plan a run: ${error.message}` };
      }
    });
  }


  private async runOfSameTag(event: TagEvent): Promise<string | null> {
    const runs = this.deliveries.webhookRunsOfTag(event.library.name, event.tag);
    if (runs.length === 0) return null;
    let sha = event.commitSha;
    if (!sha) {
      // create and release events carry no commit: ask the repository where the tag points now, so a
      // tag deleted and pushed again at another commit gets a run of its own.
      try {
        const mirror = this.deps.repos.open(event.library.repo);
        await mirror.update(true);
        sha = await mirror.resolve(event.tag);
      } catch {
        return null;
      }
    }
    return runs.find((r) => r.candidateSha === sha)?.id ?? null;
  }
}
