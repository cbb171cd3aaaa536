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
import type { Config } from '../../common/config.js';
import type { Backend } from '../../common/types.js';
import { forgeOf, type CommentEvent, type ForgeKind, type PullEvent } from '../forges/index.js';
import { PlanError } from '../planner/plan.js';
import type { ForgeClient, GitRepositories } from '../ports.js';
import { tokenFor } from '../status/forges.js';
import { parseCommand } from './commands.js';
import { KeyedTurns } from '../runs/keyed-turns.js';
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
export const DEFAULT_WRITERS = ['OWNER', 'MEMBER', 'COLLABORATOR'] as const;

export interface CommentDelivery {
  forge: ForgeKind;
  comment: CommentEvent;
  matrix: ResolvedMatrix;
  library: ResolvedLibrary;
}

/** What a run is planned with beyond the PR: a command's selection, and who approved a fork's secrets. */
interface PlanExtras {
  consumers?: string[];
  backends?: Backend[];
  approvedBy?: string;
  /** The baseline of the PR's previous run: reused, so a re-run compares like with like. */
  baseline?: string;
  /** The baseline a writer named (`/compat run --baseline`): a tag, npm:NAME@VERSION or pypi:NAME==VERSION. */
  namedBaseline?: string;
}

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
  private readonly turns = new KeyedTurns();

  constructor(
    private readonly deps: {
      store: Store;
      orchestrator: Orchestrator;
      repos: GitRepositories;
      log: Logger;
      /** Replies to commands and permission questions go through it; without it commands are ignored. */
      forge?: ForgeClient;
      config?: Pick<Config, 'githubApiUrl' | 'gitlabApiUrl' | 'githubToken' | 'gitlabToken'>;
    },
  ) {}

  /**
   * A `/compat` command in a PR comment: honoured from users who may write to the repository, each
   * other author told why nothing ran; a malformed command gets the CLI's error as the reply.
   */
  async onComment(d: CommentDelivery, delivery: string | null): Promise<DeliveryOutcome> {
    const { library, comment } = d;
    const parsed = parseCommand(comment.body);
    if (!parsed) return { ignored: 'the comment has no /compat command' };
    if (!library.pullRequests) return { ignored: `pull requests start no run for ${library.name} (no pullRequests: in matrix.yaml)` };
    const forge = forgeOf(d.forge);
    const writers = library.pullRequests.writers ?? DEFAULT_WRITERS;
    const writer = forge.writerByPayload(comment, writers) ?? (await this.askWriter(d));
    if (!writer) {
      const why = comment.association
        ? `@${comment.author}: nothing ran. /compat commands are honoured from ${writers.join(', ')} of ${library.statusTarget?.repository ?? library.name}; GitHub says you are ${comment.association}.`
        : `@${comment.author}: nothing ran. /compat commands are honoured from members with the Developer role or above.`;
      await this.reply(d, why);
      return { ignored: `${comment.author} may not write to the repository` };
    }
    if ('error' in parsed) {
      await this.reply(d, `@${comment.author}: ${parsed.error}\n\nUsage: \`/compat run [--consumer C]... [--backend B]...\`, \`/compat bisect CELL\`, \`/compat accept CELL --reason "TEXT" [--until DATE]\``);
      return { ignored: parsed.error };
    }
    const command = parsed.command;
    const runs = this.deps.store.deliveries.webhookRunsOfPull(library.name, comment.number);
    const newest = runs[0];
    if (command.kind === 'accept') {
      await this.reply(d, `@${comment.author}: accepting a break is not available on this server yet; nothing was changed.`);
      return { ignored: 'accept is not available' };
    }
    if (command.kind === 'bisect') {
      if (!newest) return this.replied(d, `@${comment.author}: this pull request has no run to bisect.`);
      try {
        await this.deps.orchestrator.startBisect(newest.id, command.cell);
      } catch (error) {
        return this.replied(d, `@${comment.author}: ${(error as Error).message}`);
      }
      return this.replied(d, `@${comment.author}: bisecting ${command.cell} of run ${newest.id}.`);
    }
    return this.turns.run(`${library.name}\u0000${comment.number}`, async () => {
      const previous = newest ? this.deps.store.runMeta(newest.id)?.pull : undefined;
      const mirror = this.deps.repos.open(library.repo);
      let headSha: string;
      try {
        headSha = await mirror.resolveFetching(forge.pullHeadRef(comment.number));
      } catch (error) {
        return this.replied(d, `@${comment.author}: cannot read the pull request's head: ${(error as Error).message}`);
      }
      const baseRef = previous?.baseRef ?? comment.defaultBranch ?? 'main';
      const pull: PullEvent = { kind: 'pull', action: 'synchronize', number: comment.number, headSha, baseRef, label: null, labels: [], fromFork: previous?.fromFork ?? false, repository: comment.repository };
      const sameHead = newest && newest.candidateSha === headSha ? this.deps.store.getRun(newest.id) : undefined;
      try {
        const runId = await this.plan({ forge: d.forge, event: 'comment', pull, matrix: d.matrix, library }, delivery, {
          ...(command.consumers.length ? { consumers: command.consumers } : {}),
          ...(command.backends.length ? { backends: command.backends } : {}),
          // A writer's command is the approval a fork's pull request waits for.
          ...(pull.fromFork ? { approvedBy: comment.author } : {}),
          // A baseline the writer named wins; else the head's previous baseline, so a re-run compares like with like.
          ...(command.baseline ? { namedBaseline: command.baseline } : sameHead ? { baseline: sameHead.baseline } : {}),
        });
        await this.reply(d, `@${comment.author}: started run ${runId}${command.consumers.length ? ` (${command.consumers.join(', ')})` : ''}.`);
        return { runId };
      } catch (error) {
        if (!(error instanceof PlanError)) throw error;
        return this.replied(d, `@${comment.author}: ${error.message}`);
      }
    });
  }

  private async replied(d: CommentDelivery, text: string): Promise<DeliveryOutcome> {
    await this.reply(d, text);
    return { ignored: text };
  }

  private target(d: CommentDelivery) {
    const target = d.library.statusTarget;
    const token = this.deps.config ? tokenFor(this.deps.config, d.forge) : null;
    return target && token && this.deps.forge && this.deps.config && target.forge === d.forge ? { target, token, client: this.deps.forge, config: this.deps.config } : null;
  }

  private async askWriter(d: CommentDelivery): Promise<boolean> {
    const t = this.target(d);
    if (!t) return false;
    const forge = forgeOf(d.forge);
    try {
      const answer = await t.client.send(forge.permissionRequest(t.config, t.target, d.comment.authorId, t.token), AbortSignal.timeout(15_000));
      return answer.status === 200 && forge.writerOf(JSON.parse(answer.body));
    } catch (error) {
      this.deps.log.warn({ err: error, library: d.library.name }, 'Could not ask the forge whether a comment\'s author may write');
      return false;
    }
  }

  /** Answers a comment with a comment of its own; a reply that fails is logged, never a reason to fail the delivery. */
  private async reply(d: CommentDelivery, text: string): Promise<void> {
    const t = this.target(d);
    if (!t) return;
    try {
      const answer = await t.client.send(forgeOf(d.forge).commentRequest(t.config, t.target, d.comment.number, text, null, t.token), AbortSignal.timeout(15_000));
      if (answer.status >= 300) this.deps.log.warn({ status: answer.status, library: d.library.name }, 'The forge refused a reply to a /compat command');
    } catch (error) {
      this.deps.log.warn({ err: error, library: d.library.name }, 'Could not reply to a /compat command');
    }
  }

  /** Starts the run for a PR's head, joins the one already started for it, and cancels the previous head's. */
  async runForPull(d: PullDelivery, delivery: string | null): Promise<DeliveryOutcome> {
    const { library, pull } = d;
    const ignored = pullIgnoredReason(library, pull);
    if (ignored) return { ignored };
    // One PR's events take turns: two pushes in quick succession plan in order and the second cancels the first.
    return this.turns.run(`${library.name}\u0000${pull.number}`, async () => {
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

  private async plan(d: PullDelivery, delivery: string | null, extras: PlanExtras = {}): Promise<string> {
    const { library, pull } = d;
    const forge = forgeOf(d.forge);
    const candidate = forge.pullHeadRef(pull.number);
    const mirror = this.deps.repos.open(library.repo);
    try {
      await mirror.update(true);
    } catch (error) {
      throw new PlanError('library', (error as Error).message);
    }
    const mode = extras.namedBaseline ? 'named' : (library.pullRequests?.baseline ?? 'merge-base');
    let baseline: string;
    if (extras.namedBaseline ?? extras.baseline) {
      baseline = (extras.namedBaseline ?? extras.baseline)!;
    } else if (mode === 'merge-base') {
      const found = await mirror.mergeBase(`refs/heads/${pull.baseRef}`, candidate).catch(() => null);
      if (!found) throw new PlanError('baseline', `no merge base of ${candidate} with ${pull.baseRef} in ${library.name}`);
      baseline = found;
    } else {
      const releases = taggedVersions((await mirror.tags()).map((t) => t.tag), compileTagPattern(library.tags)).filter((r) => !semver.prerelease(r.version));
      const latest = releases.at(-1);
      if (!latest) throw new PlanError('baseline', `${library.name} has no release tag to measure the pull request against`);
      baseline = latest.tag;
    }
    const { matrix, withheld } = pull.fromFork && !extras.approvedBy ? withoutSecrets(d.matrix, library.name) : { matrix: d.matrix, withheld: [] };
    const pullMeta: PullRunMeta = {
      number: pull.number,
      headSha: pull.headSha,
      baseRef: pull.baseRef,
      baseline: mode,
      fromFork: pull.fromFork,
      withheld,
      ...(extras.approvedBy ? { approvedBy: extras.approvedBy } : {}),
    };
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
    const request = { library: library.name, candidate, baseline, ...(extras.consumers ? { consumers: extras.consumers } : {}), ...(extras.backends ? { backends: extras.backends } : {}) };
    const run = await this.deps.orchestrator.createRun(matrix, request, 'webhook', meta);
    this.deps.log.info({ run: run.id, library: library.name, pull: pull.number, head: pull.headSha, baseline, delivery, withheld: withheld.length }, 'Pull request event started a run');
    return run.id;
  }

}
