/**
 * The commit-status reporter, as run hooks. A hook only records the state the forge should show in the
 * store's outbox and wakes the sender; it never waits on the network, so a slow or failing forge can
 * neither hold up nor alter a run's result. The sender posts one report at a time, retries by the
 * rules in retry.ts with the next attempt's time kept in the store, and on start posts whatever a
 * previous server left unsent.
 */
import type { Config } from '../../common/config.js';
import { logger as rootLogger, type Logger } from '../../common/logger.js';
import type { RunJson } from '../../common/types.js';
import { redactDeep } from '../../common/redact.js';
import { fetchForge } from '../adapters.js';
import type { ForgeClient } from '../ports.js';
import type { RunHooks } from '../runs/orchestrator.js';
import type { ServerDeps, ServerService } from '../server.js';
import type { StatusReports, Forge, StatusReportRow, StatusState } from '../store/status-reports.js';
import type { Store } from '../store/store.js';
import { describeRun, stateOf } from './describe.js';
import { statusRequest, targetOf, TargetError, tokenFor } from './forges.js';
import { classifyResponse, retryDelayMs, type AttemptOutcome } from './retry.js';

export interface StatusReporterOptions {
  log?: Logger;
  /** Attempts at one state before giving up on it. @defaultValue 8 */
  maxAttempts?: number;
  /** First backoff wait; doubles each retry. @defaultValue 2000 */
  baseDelayMs?: number;
  /** Longest backoff wait (a forge's Retry-After may ask for more and gets it). @defaultValue 300000 */
  maxDelayMs?: number;
  /** One request's time limit. @defaultValue 15000 */
  requestTimeoutMs?: number;
  /** How far back, at start, runs are checked for a status their server never recorded. @defaultValue 3 days */
  catchUpWindowMs?: number;
  /** Where statuses are posted. @defaultValue the forges' APIs over fetch */
  forge?: ForgeClient;
  random?: () => number;
}

type Bound = { store: Store; config: Config; reports: StatusReports };

export class StatusReporter implements RunHooks, ServerService {
  readonly name = 'status reporter';
  private bound: Bound | null = null;
  private sending = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private readonly opts: Required<Omit<StatusReporterOptions, 'log'>>;
  private idleWaiters: Array<() => void> = [];

  constructor(options: StatusReporterOptions = {}) {
    this.log = options.log ?? rootLogger.child({ component: 'status' });
    this.opts = {
      maxAttempts: options.maxAttempts ?? 8,
      baseDelayMs: options.baseDelayMs ?? 2000,
      maxDelayMs: options.maxDelayMs ?? 300_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      catchUpWindowMs: options.catchUpWindowMs ?? 3 * 86_400_000,
      forge: options.forge ?? fetchForge(),
      random: options.random ?? Math.random,
    };
  }

  /**
   * Starts with the server: takes its store and (live) config, then catches up: runs whose report was
   * never recorded get one, and unsent reports are sent.
   */
  start({ store, config }: Pick<ServerDeps, 'store' | 'config'>): void {
    this.bound = { store, config, reports: store.statusReports };
    try {
      this.catchUp();
    } catch (error) {
      this.log.warn({ err: error }, 'Failed to check for unreported runs');
    }
    this.kick();
  }

  /** Stops with the server, before its store closes: stops sending; what is unsent stays in the store for the next start. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  onRunCreated(run: RunJson): void {
    this.record(run, 'pending');
  }

  onRunFinished(run: RunJson): void {
    this.record(run, stateOf(run));
  }

  /** A bisect named the first bad commit (or gave up) after the status went out: its description says so now. */
  onBisectFinished(run: RunJson): void {
    try {
      const b = this.live();
      if (!b || run.trigger !== 'webhook' || run.status !== 'done') return;
      b.reports.resend(run.id);
      this.kick();
    } catch (error) {
      this.log.warn({ err: error, run: run.id }, 'Failed to record a commit status');
    }
  }

  /** Resolves once nothing is being sent and nothing is due now; a retry scheduled for later does not count (tests). */
  async idle(): Promise<void> {
    if (!this.sending && !this.dueNow()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private live(): Bound | null {
    return this.stopped ? null : this.bound;
  }

  private enabled(config: Config, forge: Forge): boolean {
    return tokenFor(config, forge) !== null;
  }

  private record(run: RunJson, state: StatusState): void {
    try {
      const b = this.live();
      if (!b || run.trigger !== 'webhook') return;
      const target = targetOf(b.store.runMeta(run.id));
      if (!target || !this.enabled(b.config, target.forge)) return;
      b.reports.want(run.id, target.forge, state);
      this.kick();
    } catch (error) {
      // Reporting is a side effect of a run, never a reason for the run to fail.
      this.log.warn({ err: error, run: run.id, state }, 'Failed to record a commit status');
    }
  }

  private catchUp(): void {
    const b = this.bound!;
    const since = new Date(Date.now() - this.opts.catchUpWindowMs).toISOString();
    for (const row of b.reports.runsMissingReport(since)) {
      const target = targetOf(row.meta);
      if (!target || !this.enabled(b.config, target.forge)) continue;
      const run = b.store.getRun(row.id);
      if (run) b.reports.want(run.id, target.forge, stateOf(run));
    }
  }

  private dueNow(): boolean {
    const b = this.live();
    return Boolean(b && b.reports.nextDue());
  }

  private kick(): void {
    if (this.sending || !this.live()) return;
    this.sending = true;
    void this.sendDue().finally(() => {
      this.sending = false;
      this.schedule();
      if (!this.dueNow()) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  private async sendDue(): Promise<void> {
    for (;;) {
      const b = this.live();
      if (!b) return;
      let row: StatusReportRow | undefined;
      try {
        row = b.reports.nextDue();
        if (!row) return;
        await this.sendOne(b, row);
      } catch (error) {
        if (!this.live()) return;
        this.log.warn({ err: error, run: row?.run_id }, 'Commit status sender failed');
        if (row) b.reports.markFailed(row.run_id, row.wanted, String(error), null);
      }
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const b = this.live();
    if (!b) return;
    const at = b.reports.nextWakeAt();
    if (at === null) return;
    this.timer = setTimeout(() => this.kick(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private async sendOne(b: Bound, row: StatusReportRow): Promise<void> {
    const fields = { run: row.run_id, forge: row.forge, state: row.wanted, attempt: row.attempts + 1 };
    const run = b.store.getRunWithClusters(row.run_id);
    const target = run ? targetOf(b.store.runMeta(row.run_id)) : null;
    const token = tokenFor(b.config, row.forge);
    if (!run || !target || !token) {
      b.reports.markFailed(row.run_id, row.wanted, !run ? 'run not found' : !target ? 'run has no forge target' : `no ${row.forge} token configured`, null);
      return;
    }
    let request;
    try {
      request = statusRequest(b.config, target, {
        sha: run.candidateSha,
        state: row.wanted,
        description: describeRun(run, row.wanted),
        targetUrl: `${b.config.publicUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(run.id)}`,
        context: `compat-matrix/${run.library}`,
      }, token);
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      this.log.warn({ ...fields, reason: error.message }, 'Commit status cannot be posted');
      b.reports.markFailed(row.run_id, row.wanted, error.message, null);
      return;
    }

    let outcome: AttemptOutcome;
    try {
      // What a forge shows to everyone who can see the commit: never a credential of a URL.
      const res = await this.opts.forge.post({ ...request, body: redactDeep(request.body) }, AbortSignal.any([AbortSignal.timeout(this.opts.requestTimeoutMs), this.abort.signal]));
      outcome = classifyResponse(res.status, res.headers, res.body, Date.now());
    } catch (error) {
      if (this.stopped) return;
      const e = error as Error & { cause?: { code?: string } };
      outcome = { kind: 'retry', delayMs: null, reason: `network: ${e.cause?.code ?? e.name}: ${e.message}` };
    }
    if (!this.live()) return;

    if (outcome.kind === 'sent') {
      b.reports.markSent(row.run_id, row.wanted);
      this.log.info(fields, 'Commit status posted');
      return;
    }
    const attempts = row.attempts + 1;
    if (outcome.kind === 'give-up' || attempts >= this.opts.maxAttempts) {
      b.reports.markFailed(row.run_id, row.wanted, outcome.reason, null);
      this.log.warn({ ...fields, reason: outcome.reason }, 'Gave up posting a commit status');
      return;
    }
    const delay = retryDelayMs(attempts, outcome.delayMs, { baseMs: this.opts.baseDelayMs, maxMs: this.opts.maxDelayMs, random: this.opts.random });
    b.reports.markFailed(row.run_id, row.wanted, outcome.reason, Date.now() + delay);
    this.log.warn({ ...fields, reason: outcome.reason, retryInMs: delay }, 'Commit status not posted; will retry');
  }
}
