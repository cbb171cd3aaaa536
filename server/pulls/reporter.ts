/**
 * What a pull-request run shows on its PR (issue 18 items 4, 5), as run hooks: on GitHub a check run
 * per library and head commit (`compat-matrix/<library>`: queued when planned, in_progress when its
 * first cell starts, completed at the verdict), and on every forge one comment per library on the PR,
 * edited in place as cells finish and taken over by each new head's run. Hooks only mark a run as
 * changed; one sender posts the latest state, so a burst of cell results is a single update and a
 * slow forge never holds up a run. Through the Forge interface only: no kind is named here.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../../common/config.js';
import { logger as rootLogger, type Logger } from '../../common/logger.js';
import type { RunJson } from '../../common/types.js';
import { redactText } from '../../common/redact.js';
import { fetchForge } from '../adapters.js';
import { forgeOf, type CheckRunContent, type Forge, type ForgeRequest, type ForgeTarget } from '../forges/index.js';
import type { GithubTokens } from '../forges/github-app.js';
import type { ForgeAnswer, ForgeClient } from '../ports.js';
import type { RunHooks } from '../runs/orchestrator.js';
import type { ServerDeps, ServerService } from '../server.js';
import type { PullRunMeta, RunMeta } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { classifyResponse, retryDelayMs } from '../status/retry.js';
import { targetOf, tokenFor } from '../status/forges.js';
import { commentMarker, conclusionOf, failuresText, summaryOf, titleOf } from './summary.js';

export interface PullReporterOptions {
  log?: Logger;
  /** Where requests go. @defaultValue the forges' APIs over fetch */
  forge?: ForgeClient;
  /** One request's time limit. @defaultValue 15000 */
  requestTimeoutMs?: number;
  /** Attempts at one update before it waits for the run's next change. @defaultValue 5 */
  maxAttempts?: number;
  /** First backoff wait; doubles each retry. @defaultValue 2000 */
  baseDelayMs?: number;
  /** GitHub App installation tokens (check runs need an App); without it COMPAT_GITHUB_TOKEN is used. */
  githubTokens?: GithubTokens;
}

interface CheckState {
  id: number | null;
  /** The forge was asked for a check run a previous server created for this run. */
  looked: boolean;
  /** Digest of the last content the forge accepted. */
  sent: string | null;
  startedAt: string | null;
}

class ForgeRefused extends Error {
  constructor(
    readonly answer: ForgeAnswer,
    what: string,
  ) {
    super(`${what}: HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
    this.name = 'ForgeRefused';
  }
}

const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export class PullReporter implements RunHooks, ServerService {
  readonly name = 'pull request reporter';
  private bound: { store: Store; config: Config } | null = null;
  private readonly log: Logger;
  private readonly client: ForgeClient;
  private readonly opts: Required<Omit<PullReporterOptions, 'log' | 'forge' | 'githubTokens'>>;
  private readonly tokens: GithubTokens | null;
  private readonly checks = new Map<string, CheckState>();
  /** `<library>#<number>` to the comment's id and the digest of its last body. */
  private readonly comments = new Map<string, { id: number; sent: string }>();
  private readonly dirty = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sending: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(options: PullReporterOptions = {}) {
    this.log = options.log ?? rootLogger.child({ component: 'pulls' });
    this.client = options.forge ?? fetchForge();
    this.tokens = options.githubTokens ?? null;
    this.opts = { requestTimeoutMs: options.requestTimeoutMs ?? 15_000, maxAttempts: options.maxAttempts ?? 5, baseDelayMs: options.baseDelayMs ?? 2000 };
  }

  start({ store, config }: Pick<ServerDeps, 'store' | 'config'>): void {
    this.bound = { store, config };
  }

  stop(): void {
    this.bound = null;
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  onRunCreated(run: RunJson): void {
    this.touch(run.id);
  }

  onRunChanged(runId: string): void {
    this.touch(runId);
  }

  onRunFinished(run: RunJson): void {
    this.touch(run.id);
  }

  onBisectFinished(run: RunJson): void {
    this.touch(run.id);
  }

  /** Resolves once nothing is being sent or waiting to be (tests). */
  async idle(): Promise<void> {
    if (!this.sending && this.dirty.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private touch(runId: string): void {
    if (!this.bound) return;
    this.dirty.add(runId);
    this.kick();
  }

  private kick(): void {
    if (this.sending || !this.bound) return;
    this.sending = this.drain().finally(() => {
      this.sending = null;
      if (this.dirty.size > 0 && this.bound) this.kick();
      else for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  private async drain(): Promise<void> {
    while (this.bound && this.dirty.size > 0) {
      const runId = this.dirty.values().next().value as string;
      this.dirty.delete(runId);
      try {
        await this.report(runId);
        this.attempts.delete(runId);
      } catch (error) {
        if (!this.bound) return;
        this.retryLater(runId, error);
      }
    }
  }

  private retryLater(runId: string, error: unknown): void {
    const attempt = (this.attempts.get(runId) ?? 0) + 1;
    this.attempts.set(runId, attempt);
    const outcome = error instanceof ForgeRefused ? classifyResponse(error.answer.status, error.answer.headers, error.answer.body, Date.now()) : null;
    const reason = redactText(String((error as Error)?.message ?? error));
    if (attempt >= this.opts.maxAttempts || outcome?.kind === 'give-up') {
      this.log.warn({ run: runId, attempt, reason }, 'Gave up updating the pull request; the run\'s next change tries again');
      this.attempts.delete(runId);
      return;
    }
    const delay = retryDelayMs(attempt, outcome?.kind === 'retry' ? outcome.delayMs : null, { baseMs: this.opts.baseDelayMs, maxMs: 60_000 });
    this.log.warn({ run: runId, attempt, reason, retryInMs: delay }, 'Pull request not updated; will retry');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.touch(runId);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private async send(request: ForgeRequest, what: string): Promise<unknown> {
    const answer = await this.client.send(request, AbortSignal.any([AbortSignal.timeout(this.opts.requestTimeoutMs), this.abort.signal]));
    if (answer.status < 200 || answer.status >= 300) throw new ForgeRefused(answer, what);
    try {
      return answer.body ? JSON.parse(answer.body) : null;
    } catch {
      return null;
    }
  }

  private async report(runId: string): Promise<void> {
    const b = this.bound;
    if (!b) return;
    const run = b.store.getRun(runId);
    const meta: RunMeta | undefined = run ? b.store.runMeta(runId) : undefined;
    const pull = meta?.pull;
    const target = targetOf(meta);
    if (!run || !pull || !target || run.trigger !== 'webhook') return;
    const forge = forgeOf(target.forge);
    const app = target.forge === 'github' ? this.tokens : null;
    const token = app ? await app.tokenFor(target) : tokenFor(b.config, target.forge);
    if (!token) return;
    try {
      await this.reportCheck(b, forge, target, token, run, pull);
      await this.reportComment(b, forge, target, token, run, pull);
    } catch (error) {
      // An installation token GitHub no longer takes (revoked, or the App reinstalled): a new one, once.
      if (!(app && error instanceof ForgeRefused && error.answer.status === 401)) throw error;
      const fresh = await app.tokenFor(target, { refresh: true });
      await this.reportCheck(b, forge, target, fresh, run, pull);
      await this.reportComment(b, forge, target, fresh, run, pull);
    }
  }

  private async reportCheck(b: { store: Store; config: Config }, forge: Forge, target: ForgeTarget, token: string, run: RunJson, pull: PullRunMeta): Promise<void> {
    const state = this.checks.get(run.id) ?? { id: null, looked: false, sent: null, startedAt: null };
    this.checks.set(run.id, state);
    const name = `compat-matrix/${run.library}`;
    if (state.id === null && !state.looked) {
      // After a restart the run's check run is found by its external_id, so it is updated, not created twice.
      const list = forge.listCheckRunsRequest(b.config, target, run.candidateSha, name, token);
      if (list) state.id = forge.checkRunIdOf(await this.send(list, 'list check runs'), run.id);
      state.looked = true;
    }
    const status = run.status === 'done' ? 'completed' : run.status === 'running' ? 'in_progress' : 'queued';
    if (status !== 'queued' && !state.startedAt) state.startedAt = new Date().toISOString();
    const publicUrl = b.config.publicUrl;
    const content: CheckRunContent = {
      name,
      headSha: run.candidateSha,
      status,
      ...(status === 'completed' ? { conclusion: conclusionOf(run), completedAt: run.finishedAt ?? new Date().toISOString() } : {}),
      detailsUrl: `${publicUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(run.id)}`,
      externalId: run.id,
      title: titleOf(run),
      summary: summaryOf(run, pull, publicUrl),
      ...(status === 'completed' ? { text: failuresText(run, (cellId, testId) => b.store.testsOf(run.id, cellId, 'candidate', 0).find((t) => t.id === testId)?.message) } : {}),
      ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    };
    // The first request creates the check run as queued, whatever the run has reached by then: GitHub
    // then shows each state it went through.
    const sending = state.id === null && status !== 'queued' ? { ...content, status: 'queued' as const, conclusion: undefined, completedAt: undefined, text: undefined } : content;
    const sig = digest(sending);
    if (state.sent === sig) return;
    const request = forge.checkRunRequest(b.config, target, sending, state.id, token);
    if (!request) return;
    const answer = await this.send(request, state.id === null ? 'create check run' : 'update check run');
    if (state.id === null) state.id = forge.idOf(answer);
    state.sent = sig;
    this.log.info({ run: run.id, check: state.id, status: sending.status }, 'Check run updated');
    if (sending !== content) this.dirty.add(run.id);
  }

  private async reportComment(b: { store: Store; config: Config }, forge: Forge, target: ForgeTarget, token: string, run: RunJson, pull: PullRunMeta): Promise<void> {
    // The comment shows the PR's newest head: an older run (cancelled by a push) does not write over it.
    const newest = b.store.deliveries.webhookRunsOfPull(run.library, pull.number)[0];
    if (newest && newest.id !== run.id) return;
    const marker = commentMarker(run.library);
    const body = [marker, `### compat-matrix: ${run.library}`, '', summaryOf(run, pull, b.config.publicUrl, 60_000)].join('\n');
    const key = `${run.library}#${pull.number}`;
    const sig = digest(body);
    let known = this.comments.get(key);
    if (known?.sent === sig) return;
    if (!known) {
      // After a restart the comment is found by its marker, so it is still edited rather than posted again.
      const list = await this.send(forge.listCommentsRequest(b.config, target, pull.number, token), 'list comments');
      const found = forge.commentsOf(list).find((c) => c.body.startsWith(marker));
      if (found) known = { id: found.id, sent: '' };
    }
    const answer = await this.send(forge.commentRequest(b.config, target, pull.number, body, known?.id ?? null, token), known ? 'edit comment' : 'post comment');
    const id = known?.id ?? forge.idOf(answer);
    if (id !== null) this.comments.set(key, { id, sent: sig });
    this.log.info({ run: run.id, comment: id, edited: Boolean(known) }, 'Pull request comment updated');
  }
}
