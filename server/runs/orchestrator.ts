/**
 * The run's life, driven by results: a run is planned and stored, both artifacts are built, each side's
 * cells are queued once its artifact exists, suspected regressions are re-run, and when every cell has a
 * verdict the run is done. Every step is idempotent (job ids say what a job is; a result is recorded
 * once), so a restart simply replays from the store.
 */
import type { Logger } from '../../common/logger.js';
import type { ResolvedMatrix } from '../../common/matrix/load.js';
import type { ResultMessage } from '../../common/queue/jobs.js';
import { databaseImageOf, parseCellId } from '../../common/cell.js';
import { SIDES, type RunJson, type Side, type SideStatus, type Trigger } from '../../common/types.js';
import { decideRun, isFinished, isSuspect, newFailuresOf, type AttemptPair } from '../../common/verdict.js';
import { decideWithFlakes } from '../../common/flakes/rule.js';
import { failureEvidence, rerunSelection } from '../../common/test-evidence.js';
import { selectsTests } from '../../common/runners/kinds.js';
import { planRun, type RunRequest } from '../planner/plan.js';
import type { RunMeta, RunPlanMeta } from '../store/schema.js';
import { cellJob, RunContext, type PlannedCell } from './context.js';
import type { StoredSideResult, Store } from '../store/store.js';
import type { ServerPorts } from '../ports.js';
import { Bisector } from '../bisect/bisector.js';
import { applyQuarantine, untilInstant } from '../quarantine/rules.js';
import { baselineReuseKey, findReusableBaseline } from './baseline-reuse.js';
import { BUILD_PRIORITY, cellPriority } from './priority.js';

export interface RunHooks {
  onRunCreated?(run: RunJson): void | Promise<void>;
  onRunFinished?(run: RunJson): void | Promise<void>;
  onRunChanged?(runId: string): void;
  /** A consumer's bisect ended (found or inconclusive): the run's status description may name the commit. */
  onBisectFinished?(run: RunJson): void | Promise<void>;
}

export class Orchestrator {
  /** Results, resumes and sweeps touch the same runs: they take turns. */
  private turn: Promise<unknown> = Promise.resolve();

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.catch(() => undefined).then(fn);
    this.turn = next;
    return next;
  }

  readonly bisector: Bisector;

  constructor(
    private readonly store: Store,
    private readonly ports: ServerPorts,
    private readonly options: {
      log: Logger;
      hooks?: RunHooks;
      /** How long a baseline result may be reused by later runs; 0 never. @defaultValue 0 */
      baselineReuseDays?: number;
      /** Tells worker hosts the matrix a run was planned from (they size themselves by its limits). */
      publishMatrix?: (matrix: ResolvedMatrix) => Promise<void>;
      /** Tells workers a run is cancelled (common/queue/redis-data.ts CancelledRuns). */
      cancels?: { mark(runId: string): Promise<void> };
    },
  ) {
    this.bisector = new Bisector(store, ports, {
      log: options.log,
      onChanged: (runId) => options.hooks?.onRunChanged?.(runId),
      onFinished: async (runId) => {
        const run = this.store.getRun(runId);
        if (run) await options.hooks?.onBisectFinished?.(run);
      },
    });
  }

  /** `compat bisect` and its route: the bisect of a regressed cell's consumer, started unless it exists. */
  startBisect(runId: string, cellId: string) {
    return this.serialized(() => this.bisector.start(runId, cellId));
  }

  /**
   * `compat cancel`: the run ends `done`/`cancelled` in the store first (what a restart goes by), then
   * its workers are told and its queued jobs dropped ({@link cleanUpCancel}). Results that arrive for
   * it afterwards are ignored. `unknown` and `finished` change nothing.
   */
  cancelRun(runId: string, by: string | null): Promise<{ outcome: 'cancelled' | 'unknown' | 'finished'; run?: RunJson }> {
    return this.serialized(async () => {
      const outcome = this.store.cancelRun(runId, by);
      if (outcome !== 'cancelled') return { outcome, run: this.store.getRun(runId) };
      this.options.log.info({ run: runId, by }, 'Run cancelled');
      await this.cleanUpCancel(runId);
      const run = this.store.getRun(runId)!;
      this.options.hooks?.onRunChanged?.(runId);
      await this.options.hooks?.onRunFinished?.(run);
      return { outcome, run };
    });
  }

  /**
   * What a cancel does beyond the store, safe to do twice (a restart mid-cancel does it again): the flag
   * first, so a job a worker takes while the queues are being emptied sees it; then the queued jobs of
   * the run (cells, builds, bisect steps) are dropped and its bisects end.
   */
  private async cleanUpCancel(runId: string): Promise<void> {
    await this.options.cancels?.mark(runId);
    const dropped = await this.ports.work.dropRunJobs(runId);
    this.bisector.cancel(runId);
    this.store.markCancelCleaned(runId);
    this.options.log.info({ run: runId, dropped }, 'Cancelled run cleaned up');
  }

  /** The library repositories runs are planned from (a calibration picks its release there). */
  get repos(): ServerPorts['repos'] {
    return this.ports.repos;
  }

  /** Plans, stores and starts a run; returns it as stored. */
  async createRun(matrix: ResolvedMatrix, request: RunRequest, trigger: Trigger, meta: RunMeta = {}): Promise<RunJson> {
    const library = matrix.libraries.find((l) => l.name === request.library);
    const plan = await planRun(matrix, request, { repos: this.ports.repos, registry: this.ports.registry, trigger, meta });
    const planMeta: RunPlanMeta = {
      library: { name: library!.name, repo: library!.repo, image: library!.build.image, command: library!.build.command, timeoutSeconds: library!.build.timeoutSeconds },
      databases: matrix.databases,
      // A calibration run compares a release with itself: there is no commit to find.
      bisect: meta.calibration ? false : (library!.bisect ?? true),
    };
    plan.run.meta = { ...plan.run.meta, plan: planMeta };
    // matrix.yaml's quarantines as of this plan: an entry edited out stops applying from the next run.
    this.store.quarantines.syncMatrix(library!.name, (library!.quarantine ?? []).map((q) => ({ ...q, until: untilInstant(q.until)! })));
    this.store.insertRun(plan.run, plan.cells);
    await this.options.publishMatrix?.(matrix).catch((error) => this.options.log.warn({ err: error }, 'Failed to publish the matrix limits'));
    this.options.log.info({ run: plan.run.id, library: plan.run.library, candidate: plan.run.candidate, baseline: plan.run.baseline, cells: plan.cells.length }, 'Run planned');
    await this.startBuilds(this.context(plan.run.id));
    const run = this.store.getRun(plan.run.id)!;
    await this.options.hooks?.onRunCreated?.(run);
    return run;
  }

  private context(runId: string): RunContext {
    return RunContext.load(this.store, runId)!;
  }

  private async startBuilds(ctx: RunContext): Promise<void> {
    const { run, id: runId } = ctx;
    const { library } = ctx.plan;
    const baselineFile = run.meta.baselineFile;
    for (const side of SIDES) {
      const build = this.store.build(runId, side);
      if (build?.status === 'ok') {
        await this.enqueueCells(ctx, side, build.artifact_key!, 0);
        continue;
      }
      if (build) continue;
      await this.ports.work.enqueue({
        kind: 'build',
        runId,
        side,
        library,
        ref: side === 'candidate' ? run.candidate : run.baseline,
        // A published file has no commit: the worker keys its artifact by the file's digest.
        sha: side === 'candidate' ? run.candidateSha : (run.baselineSha ?? ''),
        version: side === 'candidate' ? run.candidateVersion : run.baselineVersion,
        ...(side === 'baseline' && baselineFile ? { published: baselineFile } : {}),
      }, BUILD_PRIORITY);
    }
  }

  /** The key a baseline side of this cell is stored and found by; null when it cannot be reused (no digest). */
  private reuseKeyOf(ctx: RunContext, cell: PlannedCell): string | null {
    const digest = this.store.build(ctx.id, 'baseline')?.artifact_digest;
    if (!digest) return null;
    return baselineReuseKey({
      library: ctx.run.library,
      version: ctx.run.baselineVersion,
      consumer: cell.config,
      backend: cell.key.backend,
      databaseImage: databaseImageOf(ctx.plan.databases, cell.key),
      artifactDigest: digest,
    });
  }

  private async enqueueCells(
    ctx: RunContext,
    side: Side,
    artifactKey: string,
    attempt: number,
    only?: string[],
    rerun?: { tests: string[]; standsFor: string[] },
  ): Promise<void> {
    const { run } = ctx;
    const mayReuse = side === 'baseline' && attempt === 0 && !run.meta.freshBaseline;
    const all = ctx.cellIds();
    const index = new Map(all.map((id, i) => [id, i]));
    for (const cellId of only ?? all) {
      const cell = ctx.cell(cellId)!;
      const consumer = cell.config;
      const key = mayReuse ? this.reuseKeyOf(ctx, cell) : null;
      const reusable = key ? findReusableBaseline(this.store, key, this.options.baselineReuseDays ?? 0) : null;
      await this.ports.work.enqueue({
        kind: 'cell',
        ...cellJob(ctx, cell),
        side,
        attempt,
        version: side === 'candidate' ? run.candidateVersion : run.baselineVersion,
        artifactKey,
        ...(rerun?.tests.length && (consumer.rerun || selectsTests(consumer.runner)) ? { rerunTests: rerun.tests, ...(rerun.standsFor.length ? { rerunStandsFor: rerun.standsFor } : {}) } : {}),
        ...(reusable ? { reuse: { runId: reusable.runId, facts: reusable.facts } } : {}),
      }, cellPriority(index.get(cellId) ?? 0, side, attempt));
    }
  }

  /**
   * A side result as the store keeps it. A reused baseline is the earlier run's result, copied (its key
   * digests the consumer name and backend, so the cell id is the same), naming where it came from; a
   * fresh one gets the key a later run may find it by.
   */
  private storedSide(ctx: RunContext, message: Extract<ResultMessage, { kind: 'side-done' }>): StoredSideResult {
    const { runId, cellId, side, attempt, worker, result } = message;
    if (result.reusedFrom) {
      const source = this.store.sideResult(result.reusedFrom, cellId, side, 0);
      if (source) return { ...source, runId, cellId, side, attempt, worker, reusedFrom: result.reusedFrom, reuseKey: null };
      return { runId, cellId, side, attempt, worker, status: 'error', durationMs: 0, overheadMs: null, tests: [], reason: `the reused baseline result of run ${result.reusedFrom} is gone` };
    }
    const reusable = side === 'baseline' && attempt === 0 && (result.status === 'passed' || result.status === 'failed') && result.facts;
    return { runId, cellId, side, attempt, worker, ...result, reuseKey: reusable ? this.reuseKeyOf(ctx, ctx.cell(cellId)!) : null };
  }

  /** Applies one message from the results queue. Safe to apply twice. */
  handle(message: ResultMessage): Promise<void> {
    return this.serialized(() => this.apply(message));
  }

  private async apply(message: ResultMessage): Promise<void> {
    const ctx = RunContext.load(this.store, message.runId);
    if (!ctx) {
      this.options.log.warn({ run: message.runId, kind: message.kind }, 'Result for an unknown run ignored');
      return;
    }
    // What a cancelled run's workers still send (a side that ended as it was being stopped) changes nothing.
    const { run } = ctx;
    if (run.verdict === 'cancelled') return;
    switch (message.kind) {
      case 'build-done': {
        this.store.recordBuild(message.runId, message.side, message.ok, message.reason ?? null, message.artifactKey ?? null, message.durationMs, message.artifactDigest ?? null);
        const build = this.store.build(message.runId, message.side)!;
        if (build.status === 'ok') {
          await this.enqueueCells(ctx, message.side, build.artifact_key!, 0);
        } else {
          // No artifact, no cells: every cell's side is an infrastructure error, not a test failure.
          for (const cellId of ctx.cellIds()) {
            this.store.recordSideResult({
              runId: message.runId,
              cellId,
              side: message.side,
              attempt: 0,
              status: 'error',
              durationMs: 0,
              overheadMs: null,
              tests: [],
              reason: build.reason ?? 'artifact build failed',
            });
            await this.evaluateCell(ctx, cellId);
          }
        }
        break;
      }
      case 'side-started':
        // A started side changes no cell's verdict: only a queued run's status.
        this.store.markSideRunning(message.runId, message.cellId, message.side, message.attempt, message.worker);
        if (run.status === 'queued') this.store.setRunState(message.runId, 'running', 'pending');
        this.options.hooks?.onRunChanged?.(message.runId);
        return;
      case 'side-done':
        this.store.recordSideResult(this.storedSide(ctx, message));
        // Until both sides of an attempt are in, the cell (and so the run) stays as it was.
        if (!(await this.evaluateCell(ctx, message.cellId))) {
          this.options.hooks?.onRunChanged?.(message.runId);
          return;
        }
        break;
      case 'bisect-build-done':
        await this.bisector.onBuildDone(ctx, message);
        return;
      case 'bisect-step-done':
        await this.bisector.onStepDone(ctx, message);
        return;
    }
    await this.evaluateRun(message.runId);
    this.options.hooks?.onRunChanged?.(message.runId);
  }

  private attemptPairs(runId: string, cellId: string): AttemptPair[] {
    const statuses = this.store.sideStatuses(runId, cellId);
    const pairs: AttemptPair[] = [];
    for (let attempt = 0; ; attempt++) {
      const finished = (side: Side) => {
        const s = statuses.find((x) => x.side === side && x.attempt === attempt);
        return s && isFinished(s.status) ? s : undefined;
      };
      const c = finished('candidate');
      const b = finished('baseline');
      if (!c || !b) break;
      const side = (s: Side, status: SideStatus) => {
        const stored = this.store.sideResult(runId, cellId, s, attempt);
        return { status, tests: stored?.tests ?? [], ...(stored?.reason ? { reason: stored.reason } : {}), ...(stored?.schema ? { schema: stored.schema } : {}) };
      };
      pairs.push({ candidate: side('candidate', c.status), baseline: side('baseline', b.status) });
    }
    return pairs;
  }

  /** Decides a cell from its finished attempt pairs; false when it has none yet. */
  private async evaluateCell(ctx: RunContext, cellId: string): Promise<boolean> {
    const { run, id: runId } = ctx;
    const pairs = this.attemptPairs(runId, cellId);
    if (pairs.length === 0) return false;
    // A reused baseline never decides a regression alone: at least one confirming re-run, both sides anew.
    const baselineReused = Boolean(this.store.sideResult(runId, cellId, 'baseline', 0)?.reusedFrom);
    const reruns = baselineReused ? Math.max(1, run.reruns) : run.reruns;
    // Quarantined tests' failures are out of the verdict while their quarantine lasts (server/quarantine).
    const consumer = parseCellId(cellId).consumer;
    const { pairs: judged, quarantined } = applyQuarantine(pairs, this.store.quarantines.active(run.library, consumer, new Date()));
    // Measured flake rates of this cell's tests (calibration runs): only a suspect first attempt needs them.
    const rates = isSuspect(judged[0]) && !run.meta.calibration ? this.store.cellFlakeRates(run.library, cellId) : new Map();
    const schema = ctx.cell(cellId)?.config.schema;
    const decision = decideWithFlakes(judged, reruns, rates, schema ? { ignore: schema.ignore ?? [], block: (schema.onChange ?? 'block') === 'block' } : undefined);
    if (decision.rerunsWanted > 0) {
      // Confirm on both sides, all re-runs at once; ids make a second enqueue a no-op. A consumer with a
      // `rerun` command runs only the tests attempt 0 newly failed, or for one that exists only on
      // failure (a hook's, a collection error's: no test has its id) the tests it hid.
      const selection = rerunSelection(failureEvidence(newFailuresOf(judged[0]), judged[0].candidate.tests, judged[0].baseline.tests));
      // Attempts from the next one to the last wanted: a flaky test's further re-runs come after the first ones.
      for (let attempt = pairs.length; attempt < pairs.length + decision.rerunsWanted; attempt++) {
        for (const side of SIDES) {
          const build = this.store.build(runId, side);
          if (build?.artifact_key) await this.enqueueCells(ctx, side, build.artifact_key, attempt, [cellId], selection ?? undefined);
        }
      }
    }
    this.store.setCellDecision(runId, cellId, decision.verdict, pairs.length, decision.newFailures, decision.fixedTests, decision.reason, decision.schemaChanges);
    this.store.quarantines.setCellQuarantined(runId, cellId, quarantined);
    if (decision.verdict !== 'running') await this.bisector.consider(ctx, consumer);
    return true;
  }

  private async evaluateRun(runId: string): Promise<void> {
    const before = this.store.runRecord(runId)!;
    // What the cells' outcomes are, not the whole run: this runs after every decided cell, and a run may have 10,000.
    const outcomes = this.store.cellOutcomesPresent(runId);
    const verdict = decideRun(outcomes);
    const finished = outcomes.every((c) => isFinished(c.verdict));
    const untouched = outcomes.every((c) => c.verdict === 'pending') && !this.store.anySideStarted(runId);
    const status = finished ? 'done' : before.status === 'queued' && untouched ? 'queued' : 'running';
    if (status === before.status && verdict === before.verdict) return;
    this.store.setRunState(runId, status, verdict);
    if (finished && before.status !== 'done') {
      const done = this.store.getRun(runId)!;
      this.options.log.info({ run: runId, verdict: done.verdict }, 'Run finished');
      await this.options.hooks?.onRunFinished?.(done);
    }
  }

  /**
   * After a restart: re-enqueue whatever an unfinished run still needs (no-ops for jobs that exist), and
   * turn work jobs that failed for good without a result into `error` results.
   */
  async resume(): Promise<void> {
    await this.serialized(async () => {
      for (const runId of this.store.cancelsToClean()) await this.cleanUpCancel(runId);
      for (const runId of this.store.unfinishedRunIds()) {
        const ctx = this.context(runId);
        await this.startBuilds(ctx);
        for (const cellId of ctx.cellIds()) await this.evaluateCell(ctx, cellId);
        await this.evaluateRun(runId);
      }
      await this.bisector.resume();
    });
    await this.sweepFailedJobs();
  }

  /** A job BullMQ gave up on (e.g. its worker was lost past its retries) still ends its cell side, as `error`. */
  async sweepFailedJobs(): Promise<number> {
    let count = 0;
    for (const job of await this.ports.work.failedJobs()) {
      const data = job.data;
      const reason = `worker lost or failed past its retries: ${job.reason ?? 'unknown'}`;
      if (data.kind === 'bisect-build') {
        if (this.store.bisects.build(data.runId, data.sha) || !this.store.runRecord(data.runId)) continue;
        await this.handle({ kind: 'bisect-build-done', runId: data.runId, sha: data.sha, ok: false, infra: true, reason, durationMs: 0 });
      } else if (data.kind === 'bisect-step') {
        const step = this.store.bisects.steps(data.runId, data.consumer.name).find((s) => s.seq === data.seq);
        if (!step || step.outcome !== null) continue;
        await this.handle({
          kind: 'bisect-step-done',
          runId: data.runId,
          consumer: data.consumer.name,
          seq: data.seq,
          result: { status: 'error', durationMs: 0, overheadMs: null, tests: [], reason },
        });
      } else if (data.kind === 'build') {
        if (this.store.build(data.runId, data.side) || !this.store.runRecord(data.runId)) continue;
        await this.handle({ kind: 'build-done', runId: data.runId, side: data.side, ok: false, reason, durationMs: 0 });
      } else {
        const existing = this.store.sideStatuses(data.runId, data.cellId).find((s) => s.side === data.side && s.attempt === data.attempt);
        if (!this.store.runRecord(data.runId) || (existing && isFinished(existing.status))) continue;
        await this.handle({
          kind: 'side-done',
          runId: data.runId,
          cellId: data.cellId,
          side: data.side,
          attempt: data.attempt,
          result: { status: 'error', durationMs: 0, overheadMs: null, tests: [], reason },
        });
      }
      count++;
    }
    return count;
  }
}
