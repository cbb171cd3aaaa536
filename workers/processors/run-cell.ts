/**
 * Runs one side (candidate or baseline) of one cell: checkout at the consumer's pinned ref, a database
 * of its own, the library artifact mounted read-only, the suite in a limited container, JUnit read back.
 * Whatever happens, the container, the database and the workspace are removed. The steps: prepare
 * (side-prepare.ts), run (side-run.ts), and what the container's end means (side-verdict.ts).
 */
import { randomBytes } from 'node:crypto';
import type { CellJob, SideResultPayload } from '../../common/queue/jobs.js';
import { logKey } from '../../common/queue/keys.js';
import { InfraError, type WorkerPorts } from '../ports.js';
import { maskText } from '../secrets/masker.js';
import { createWorkspace } from '../workspace.js';
import { PhaseTimes } from './phase-times.js';
import { SideHold } from './side-hold.js';
import { prepareSide, type SideContext } from './side-prepare.js';
import { runSide, type SideRan } from './side-run.js';
import { sideVerdict } from './side-verdict.js';

/** `logKey`: where the side's log goes when it is not a run's cell side (a bisect step). */
export async function runCellSide(job: CellJob, ports: WorkerPorts, signal?: AbortSignal, options: { logKey?: string } = {}): Promise<SideResultPayload> {
  const started = Date.now();
  const { consumer } = job;
  // One name per try: the container of a try whose worker died may still exist (its janitor has not run
  // yet) when another worker takes the same job, and a fixed name would make every retry fail on it.
  const name = `cell-${job.runId}-${job.cellId}-${job.side}-${job.attempt}-${randomBytes(3).toString('hex')}`;
  const ws = await createWorkspace(ports.config.dataDir, name);
  const secretValues = ports.secrets.forConsumer(job.library, consumer.name, consumer.secretEnv);
  const ctx: SideContext = {
    job,
    ports,
    signal,
    started,
    phases: new PhaseTimes(),
    name,
    ws,
    hold: new SideHold(job, ports),
    log: ports.openLog(options.logKey ?? logKey(ports.config.prefix, job.runId, job.cellId, job.side, job.attempt)),
    secretValues,
    mask: maskText(Object.values(secretValues)),
  };
  try {
    const prepared = await prepareSide(ctx);
    if ('done' in prepared) return prepared.done;
    const ran = await runSide(ctx, prepared.ready);
    return sideResult(ctx, ran, prepared.ready.facts);
  } finally {
    if (ctx.hold.image?.ok) ctx.hold.image.release();
    await ctx.log.end();
    await ctx.hold.dropDatabase();
    ws.remove();
  }
}

/** The side's result from what its container did; throws what is not a test result (retried). */
function sideResult(ctx: SideContext, { outcome, tracker, read, schema }: SideRan, facts: SideResultPayload['facts']): SideResultPayload {
  const { job, log, mask, phases } = ctx;
  const overheadMs = tracker.testStartedAt ? tracker.testStartedAt - ctx.started : null;
  // A suite that prints its secret in an assertion message must not publish it through the API.
  const tests = read.tests.map((t) => ({ ...t, id: mask(t.id), ...(t.message === undefined ? {} : { message: mask(t.message) }) }));
  const base = { durationMs: Date.now() - ctx.started, overheadMs, tests, ...(read.dropped ? { dropped: read.dropped } : {}), exitCode: outcome.exitCode, facts, phases: phases.ms, ...(schema ? { schema } : {}) };
  const verdict = sideVerdict({ outcome, script: tracker, tests, problems: read.problems, consumer: job.consumer, side: job.side });
  for (const note of verdict.notes) log.write(note);
  if (verdict.kind === 'retry') throw new InfraError(verdict.message);
  return { ...base, status: verdict.status, ...(verdict.reason === undefined ? {} : { reason: verdict.reason }) };
}
