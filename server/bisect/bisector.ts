/**
 * Bisects on the server: one per run and consumer with a confirmed regression. It numbers the library's
 * first-parent commits between the baseline and the candidate, asks the pure search which commit to
 * test next, queues that commit's build (once per run and commit, shared by the consumers' bisects) and
 * then a step on the regressed cell, and records each step's outcome as its result comes back. All its
 * state is in the store and every job id says what the job is, so a restart replays from the store and
 * a killed worker's step is simply taken by another worker.
 */
import type { Logger } from '../../common/logger.js';
import type { BisectBuildDone, BisectStepDone, WorkJob } from '../../common/queue/jobs.js';
import { type BisectCommit, type BisectJson, type CellJson } from '../../common/types.js';
import { isFinished } from '../../common/verdict.js';
import type { Store } from '../store/store.js';
import type { GitRepositories, WorkQueue } from '../ports.js';
import { cellJob, RunContext } from '../runs/context.js';
import type { StoredBisect, StoredCulprit } from '../store/bisects.js';
import { commitUrl } from './commit-url.js';
import { failureEvidence, rerunSelection, type FailureEvidence } from '../../common/test-evidence.js';
import { stepOutcome, testOutcomes } from './outcome.js';
import { defaultCap, searchPerTest, type GroupDecision, type PerTestStep, type Unresolved } from './search.js';

export class NotARegression extends Error {}
export class UnknownCell extends Error {}

export interface BisectorOptions {
  log: Logger;
  /** A bisect's state changed (a step ended, it finished). */
  onChanged?(runId: string): void;
  onFinished?(runId: string, consumer: string): void | Promise<void>;
}

/** Prefetched builds wait behind anything a step needs now (BullMQ: a higher number runs later). */
const PREFETCH_PRIORITY = 10;

export class Bisector {
  constructor(
    private readonly store: Store,
    private readonly ports: { repos: GitRepositories; work: Pick<WorkQueue, 'enqueue'> },
    private readonly options: BisectorOptions,
  ) {}

  /**
   * Starts the consumer's bisect once all its cells have verdicts and one regressed, unless the library
   * turned bisects off or it exists already. Called whenever a cell gets a verdict.
   */
  async consider(ctx: RunContext, consumer: string): Promise<void> {
    const runId = ctx.id;
    const verdicts = this.store.consumerVerdicts(runId, consumer);
    if (!verdicts.every((c) => isFinished(c.verdict)) || !verdicts.some((c) => c.verdict === 'regression')) return;
    if (ctx.plan.bisect === false || this.store.bisects.get(runId, consumer)) return;
    const regressed = this.store.getRun(runId)!.cells.filter((c) => c.consumer === consumer && c.verdict === 'regression');
    await this.startOn(ctx, consumer, cheapest(regressed));
  }

  /** `compat bisect` / the API: the bisect of this cell's consumer, started now unless one exists. */
  async start(runId: string, cellId: string): Promise<BisectJson> {
    const run = this.store.getRun(runId);
    const cell = run?.cells.find((c) => c.id === cellId);
    if (!run || !cell) throw new UnknownCell(`no cell ${cellId} in run ${runId}`);
    if (run.verdict === 'cancelled') throw new NotARegression(`run ${runId} was cancelled`);
    if (cell.verdict !== 'regression') throw new NotARegression(`cell ${cellId} is ${cell.verdict}, not a regression`);
    if (!this.store.bisects.get(runId, cell.consumer)) await this.startOn(RunContext.load(this.store, runId)!, cell.consumer, cell);
    return this.store.getRun(runId)!.cells.find((c) => c.id === cellId)!.bisect!;
  }

  private async startOn(ctx: RunContext, consumer: string, cell: CellJson): Promise<void> {
    const { run: row, id: runId } = ctx;
    const { library } = ctx.plan;
    let commits: BisectCommit[] = [];
    // A baseline installed from the registry's file has no commit to search from (never its digest).
    const baselineSha = cell.baseline.source === 'registry' ? null : row.baselineSha;
    const fromRegistry = baselineSha === null;
    if (baselineSha !== null) {
      try {
        const mirror = this.ports.repos.open(library.repo);
        await mirror.update();
        commits = (await mirror.firstParentCommits(baselineSha, row.candidateSha)).map((c) => {
          const url = commitUrl(library.repo, c.sha);
          return url ? { ...c, url } : c;
        });
      } catch (error) {
        this.options.log.warn({ err: error, run: runId, consumer }, 'Bisect could not list the commits');
      }
    }
    const count = commits.length - 1;
    this.store.bisects.create({ runId, consumer, cellId: cell.id, commits, newFailures: this.store.cellLists(runId, cell.id)!.newFailures, cap: defaultCap(Math.max(count, 1)) });
    this.options.log.info({ run: runId, consumer, cell: cell.id, commits: count }, 'Bisect started');
    if (count < 1) {
      const reason = fromRegistry
        ? 'the baseline is the registry\'s published file, not a commit: bisect a run whose baseline is a tag (compat run --baseline TAG)'
        : commits.length === 0
          ? 'the library history could not be read'
          : 'the candidate is not after the baseline on its first-parent history';
      await this.finish(this.store.bisects.get(runId, consumer)!, { status: 'inconclusive', reason });
      return;
    }
    await this.advance(ctx, consumer);
  }

  /** The run was cancelled: its running bisects end, inconclusive (their queued jobs are dropped with the run's). */
  cancel(runId: string): void {
    for (const b of this.store.bisects.ofRun(runId)) {
      if (b.status === 'running') this.store.bisects.finish(runId, b.consumer, { status: 'inconclusive', reason: 'run cancelled' });
    }
  }

  /** After a restart: every running bisect goes on where its store says it is. */
  async resume(): Promise<void> {
    for (const b of this.store.bisects.running()) {
      const ctx = RunContext.load(this.store, b.runId)!;
      const inFlight = this.store.bisects.steps(b.runId, b.consumer).find((s) => s.outcome === null);
      if (!inFlight || (await this.dispatch(ctx, b, inFlight.seq, inFlight.sha))) await this.advance(ctx, b.consumer);
    }
  }

  async onBuildDone(ctx: RunContext, message: BisectBuildDone): Promise<void> {
    this.store.bisects.recordBuild(message.runId, message.sha, {
      status: message.ok ? 'ok' : 'failed',
      artifactKey: message.artifactKey ?? null,
      reason: message.reason ?? null,
      infra: message.infra ?? false,
      durationMs: message.durationMs,
    });
    for (const b of this.store.bisects.ofRun(message.runId)) {
      if (b.status !== 'running') continue;
      const waiting = this.store.bisects.steps(b.runId, b.consumer).find((s) => s.outcome === null && s.sha === message.sha);
      if (waiting && (await this.dispatch(ctx, b, waiting.seq, waiting.sha))) await this.advance(ctx, b.consumer);
    }
  }

  async onStepDone(ctx: RunContext, message: BisectStepDone): Promise<void> {
    const b = this.store.bisects.get(message.runId, message.consumer);
    if (!b || b.status !== 'running') return;
    const evidence = this.evidence(b);
    const { outcome, detail } = stepOutcome(message.result, evidence);
    if (!this.store.bisects.endStep(b.runId, b.consumer, message.seq, outcome, detail, message.result.durationMs, testOutcomes(message.result, evidence))) return;
    this.options.onChanged?.(b.runId);
    await this.advance(ctx, b.consumer);
  }

  /**
   * What the bisected cell's new failures were on the run's first attempt (which exist only on failure,
   * what they hid): what each step is judged against and what it selects. Read from the store each time,
   * so a restarted server judges as the first one did.
   */
  private evidence(b: StoredBisect): FailureEvidence {
    return failureEvidence(b.newFailures, this.store.testsOf(b.runId, b.cellId, 'candidate', 0), this.store.testsOf(b.runId, b.cellId, 'baseline', 0));
  }

  /** The next step, or the answer. */
  private async advance(ctx: RunContext, consumer: string): Promise<void> {
    const runId = ctx.id;
    for (;;) {
      const b = this.store.bisects.get(runId, consumer);
      if (!b || b.status !== 'running') return;
      const steps = this.store.bisects.steps(runId, consumer);
      if (steps.some((s) => s.outcome === null)) return;
      const indexOf = new Map(b.commits.map((c, i) => [c.sha, i]));
      const observed = steps.map((s): PerTestStep => ({ index: indexOf.get(s.sha)!, outcome: s.outcome!, tests: s.tests }));
      const searchOf = (more: PerTestStep[] = []) => searchPerTest({ count: b.commits.length - 1, tests: b.newFailures, steps: [...observed, ...more], cap: b.cap });
      const decision = searchOf();
      if (decision.kind === 'done') {
        await this.finish(b, answerOf(b.commits, decision.groups, b.cap));
        return;
      }
      const seq = steps.length;
      const sha = b.commits[decision.index].sha;
      this.store.bisects.addStep(runId, consumer, seq, sha, decision.purpose);
      // While this step runs, the commits the next step may test (if it is good, if it is bad) are
      // built: a step then waits for no build.
      for (const outcome of ['good', 'bad'] as const) {
        const next = searchOf([{ index: decision.index, outcome, tests: null }]);
        if (next.kind === 'test' && !this.store.bisects.build(runId, b.commits[next.index].sha)) await this.enqueueBuild(ctx, b, b.commits[next.index].sha, PREFETCH_PRIORITY);
      }
      // A commit whose build is known to have failed ends its step at once: the loop goes on around it.
      if (!(await this.dispatch(ctx, b, seq, sha))) return;
    }
  }

  /**
   * Queues what step `seq` needs next: the commit's build, or (built) the step itself. When the commit
   * did not build, ends the step as `skip` (`error` if the build could not run) and returns true.
   */
  private async dispatch(ctx: RunContext, b: StoredBisect, seq: number, sha: string): Promise<boolean> {
    const build = this.store.bisects.build(b.runId, sha);
    if (!build) {
      await this.enqueueBuild(ctx, b, sha);
      return false;
    }
    if (build.status === 'failed') {
      const why = build.reason ?? 'the build failed';
      this.store.bisects.endStep(b.runId, b.consumer, seq, build.infra ? 'error' : 'skip', build.infra ? `could not build: ${why}` : `did not build: ${why}`, null);
      this.options.onChanged?.(b.runId);
      return true;
    }
    const attempt = this.store.bisects.steps(b.runId, b.consumer).filter((s) => s.sha === sha && s.seq < seq).length;
    // A failure-only id (a hook's, a collection error's) cannot be selected: the tests it hid are.
    const selection = rerunSelection(this.evidence(b));
    await this.enqueue({
      kind: 'bisect-step',
      ...cellJob(ctx, ctx.cell(b.cellId)!),
      side: 'candidate',
      attempt,
      seq,
      sha,
      tests: selection?.tests ?? [],
      ...(selection?.standsFor.length ? { rerunStandsFor: selection.standsFor } : {}),
      version: versionAt(ctx.run.baselineVersion, sha),
      artifactKey: build.artifactKey!,
    });
    return false;
  }

  private async enqueue(job: WorkJob, priority?: number): Promise<void> {
    await this.ports.work.enqueue(job, priority);
  }

  /** One build per run and commit (its job id): a prefetched one is simply there when the step needs it. */
  private async enqueueBuild(ctx: RunContext, b: StoredBisect, sha: string, priority?: number): Promise<void> {
    await this.enqueue({ kind: 'bisect-build', runId: b.runId, library: ctx.plan.library, ref: sha, sha, version: versionAt(ctx.run.baselineVersion, sha) }, priority);
  }

  private async finish(
    b: StoredBisect,
    end: { status: 'found' | 'inconclusive'; firstBad?: BisectCommit; culprits?: StoredCulprit[]; candidates?: BisectCommit[]; reason?: string },
  ): Promise<void> {
    this.store.bisects.finish(b.runId, b.consumer, end);
    this.options.log.info(
      { run: b.runId, consumer: b.consumer, status: end.status, firstBad: end.firstBad?.sha, culprits: end.culprits?.length, reason: end.reason },
      'Bisect finished',
    );
    this.options.onChanged?.(b.runId);
    await this.options.onFinished?.(b.runId, b.consumer);
  }
}

/** The regressed cell a step is cheapest on: the shortest measured candidate side, then sqlite < postgres < mysql. */
export function cheapest(cells: CellJson[]): CellJson {
  const rank = (backend: string) => ['sqlite', 'postgres', 'mysql'].indexOf(backend);
  return [...cells].sort((a, b) => (a.candidate.durationMs ?? Infinity) - (b.candidate.durationMs ?? Infinity) || rank(a.backend) - rank(b.backend))[0];
}

/** The version a commit between two releases is built and tested as: the baseline's, plus the commit. */
function versionAt(baselineVersion: string, sha: string): string {
  return `${baselineVersion}+${sha.slice(0, 7)}`;
}

/**
 * The bisect's end from its groups' answers: a culprit per found group (groups found at one commit
 * merged), earliest first, `firstBad` the earliest. Found when any group was (a test that flaked apart
 * from its group must not hide the commit the others agree on); the groups left open say why in
 * `reason`. With none found: inconclusive, the largest open group naming the commits its culprit is among.
 */
export function answerOf(
  commits: BisectCommit[],
  groups: GroupDecision[],
  cap: number,
): { status: 'found' | 'inconclusive'; firstBad?: BisectCommit; culprits?: StoredCulprit[]; candidates?: BisectCommit[]; reason?: string } {
  const byIndex = new Map<number, string[]>();
  for (const g of groups) if (g.decision.kind === 'found') byIndex.set(g.decision.index, [...(byIndex.get(g.decision.index) ?? []), ...g.tests]);
  const culprits = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([index, tests]) => ({ firstBad: commits[index], tests }));
  const open = groups.filter((g) => g.decision.kind === 'inconclusive');
  if (open.length === 0) return { status: 'found', firstBad: culprits[0].firstBad, culprits };
  const first = open[0].decision as Extract<GroupDecision['decision'], { kind: 'inconclusive' }>;
  const why = explain(commits, first.lo, first.hi, first.why, cap);
  // Named per group only when there is more than one: a one-cause bisect reads as it always did.
  const tests = (n: number) => `${n} test${n === 1 ? '' : 's'}`;
  const reason =
    groups.length === 1
      ? why
      : [
          `${tests(open[0].tests.length)}: ${why}`,
          ...open.slice(1).map((g) => `${tests(g.tests.length)}: ${explain(commits, (g.decision as typeof first).lo, (g.decision as typeof first).hi, (g.decision as typeof first).why, cap)}`),
        ].join('; ');
  if (culprits.length) return { status: 'found', firstBad: culprits[0].firstBad, culprits, reason: `not found for ${reason}` };
  return { status: 'inconclusive', candidates: commits.slice(first.lo + 1, first.hi + 1), reason };
}

function explain(commits: BisectCommit[], lo: number, hi: number, why: Unresolved, cap: number): string {
  const short = (i: number) => commits[i].sha.slice(0, 7);
  const list = (indices: number[]) => indices.map(short).join(', ');
  const n = hi - lo;
  const parts = [`the first bad commit is one of ${n} (${short(lo + 1)}${n > 1 ? `..${short(hi)}` : ''})`];
  if (why.skipped.length) parts.push(`skipped, not testable: ${list(why.skipped)}`);
  if (why.flaky.length) parts.push(`flaky (good and bad): ${list(why.flaky)}`);
  if (why.errored.length) parts.push(`could not run: ${list(why.errored)}`);
  if (why.capReached) parts.push(`step cap reached (${cap})`);
  return parts.join('; ');
}
