/**
 * `npm run bench -- speed`: time to verdict on the example matrix (matrix.yaml, quarry and its three
 * consumers), in one process with a real server, worker, Redis, Docker and databases:
 *   (a) cold    v1.1.0: no install snapshots, empty package caches
 *   (b) warm    v1.1.0 again, baseline tested anew (--fresh-baseline): both sides from snapshots
 *   (c) second  v1.1.1 against the same baseline (v1.0.0): the baseline reused
 *   (d) off     v1.1.0 and v1.1.1 with snapshots off and the baseline tested anew: how it was (the
 *               package caches stay on, see below)
 * For each: time to verdict as a ratio of (a); per-side overhead (side start to test command) as a ratio
 * of a bare `docker run --rm IMAGE true` measured in the same run; the test command's share of side
 * time; sides executed. Then whether the verdicts of every mode agree, each run's time against its
 * critical path, and runner presets against hand-written `rerun` commands (bench/speed-presets.ts).
 * Ratios only; nothing gates.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { defaultConcurrency } from '../cli/local-stack.js';
import { REPO_ROOT } from '../common/config.js';
import type { RunJson } from '../common/types.js';
import { describeCriticalPath } from '../common/timing/critical-path.js';
import { benchSpeedPresets } from './speed-presets.js';
import { queryStore } from '../test/helpers/snapshots.js';
import { startStack, type Stack } from '../test/helpers/stack.js';

const IMAGE = 'compat-runner:bookworm';

interface SideRow {
  cell: string;
  side: string;
  attempt: number;
  status: string;
  duration: number | null;
  overhead: number | null;
  phases: string | null;
  reusedFrom: string | null;
}

interface Measured {
  label: string;
  run: RunJson;
  wallMs: number;
  rows: SideRow[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function bareDockerRun(times: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    execFileSync('docker', ['run', '--rm', IMAGE, 'true']);
    out.push(performance.now() - t);
  }
  return out;
}

const verdictsOf = (run: RunJson) => Object.fromEntries(run.cells.map((c) => [c.id, `${c.verdict}${c.newFailures.length ? ` ${c.newFailures.join(',')}` : ''}`]));

/** One line per run: its time to verdict against (a), overhead against a bare docker run, test share, sides executed. */
function report(m: Measured, coldMs: number, bareMs: number): void {
  const executed = m.rows.filter((r) => !r.reusedFrom && r.status !== 'error');
  const overheads = executed.map((r) => r.overhead).filter((v): v is number => v !== null);
  const slowest = executed.reduce<SideRow | null>((max, r) => (r.overhead !== null && (max === null || r.overhead > max.overhead!) ? r : max), null);
  let testMs = 0;
  let sideMs = 0;
  for (const r of executed) {
    const phases = r.phases ? (JSON.parse(r.phases) as Record<string, number>) : {};
    testMs += phases.test ?? 0;
    sideMs += r.duration ?? 0;
  }
  const firstAttempt = m.rows.filter((r) => r.attempt === 0 && !r.reusedFrom).length;
  const baselineFirst = m.rows.filter((r) => r.attempt === 0 && r.side === 'baseline' && !r.reusedFrom).length;
  const errors = m.rows.filter((r) => r.status === 'error').length;
  console.log(
    `speed: ${m.label.padEnd(8)} time to verdict ${(m.wallMs / coldMs).toFixed(2)}x cold (${(m.wallMs / 1000).toFixed(0)} s); ` +
      `overhead median ${(median(overheads) / bareMs).toFixed(1)}x, max ${(Math.max(...overheads) / bareMs).toFixed(1)}x a bare docker run${slowest ? ` (${slowest.cell} ${slowest.side})` : ''}; ` +
      `test command ${((100 * testMs) / sideMs).toFixed(0)}% of side time; ` +
      `sides executed ${m.rows.filter((r) => !r.reusedFrom).length} (attempt 0: ${firstAttempt}, of which baseline ${baselineFirst})${errors ? `; ${errors} errored` : ''}`,
  );
  const phases: Record<string, number[]> = {};
  for (const r of executed) for (const [name, ms] of Object.entries(r.phases ? (JSON.parse(r.phases) as Record<string, number>) : {})) (phases[name] ??= []).push(ms);
  console.log(`speed: ${''.padEnd(8)} phase medians: ${Object.entries(phases).map(([n, v]) => `${n} ${median(v).toFixed(0)} ms`).join(', ')}`);
  if (slowest?.phases) {
    const of = JSON.parse(slowest.phases) as Record<string, number>;
    console.log(`speed: ${''.padEnd(8)} slowest side, overhead ${slowest.overhead} ms: ${Object.entries(of).map(([n, ms]) => `${n} ${ms} ms`).join(', ')}`);
  }
}

export async function benchSpeed(): Promise<void> {
  const concurrency = defaultConcurrency();
  const stack: Stack = await startStack({ concurrency, worker: false, matrix: () => path.join(REPO_ROOT, 'matrix.yaml') });
  // Interrupted: still remove this deployment's containers, databases, snapshots and keys.
  process.once('SIGINT', () => void stack.close().finally(() => process.exit(130)));
  try {
    await stack.startWorker(concurrency);
    // (a)'s time, once known: every run's time to verdict is a ratio of it.
    const cold: { wallMs?: number } = {};
    const measure = async (label: string, body: Record<string, unknown>): Promise<Measured> => {
      const started = performance.now();
      const created = await stack.api('POST', '/api/runs', { library: 'quarry', ...body });
      if (created.status !== 201) throw new Error(`${label}: ${created.status} ${JSON.stringify(created.body)}`);
      const run = await stack.waitForRun(created.body.id, 3_600_000);
      const wallMs = performance.now() - started;
      const rows = queryStore<SideRow>(
        stack.config.dataDir,
        `SELECT cell_id AS cell, side, attempt, status, duration_ms AS duration, overhead_ms AS overhead, phases, reused_from AS reusedFrom
          FROM side_results WHERE run_id = ?`,
        run.id,
      );
      const measured = { label, run, wallMs, rows };
      console.log(`speed: ${label.padEnd(8)} run ${run.id}: ${run.verdict} ${JSON.stringify(verdictsOf(run))}`);
      report(measured, cold.wallMs ?? wallMs, bareMs);
      return measured;
    };

    const bare = bareDockerRun(5);
    const bareMs = median(bare);
    console.log(`speed: bare \`docker run --rm ${IMAGE} true\`: median ${bareMs.toFixed(0)} ms over 5; worker concurrency ${concurrency}`);
    const coldRun = await measure('cold', { candidate: 'v1.1.0' });
    cold.wallMs = coldRun.wallMs;
    const warm = await measure('warm', { candidate: 'v1.1.0', freshBaseline: true });
    // v1.1.1's own default baseline is v1.1.0: named, so that it is the same baseline as (a) and (b).
    const second = await measure('second', { candidate: 'v1.1.1', baseline: 'v1.0.0' });
    // Snapshots off: every side runs install and installCandidate, as before them. The package caches
    // stay on: with a slow registry, installs with no cache at all time out and the verdicts compared
    // would be infrastructure errors.
    stack.config.snapshots = false;
    const off = await measure('off', { candidate: 'v1.1.0', freshBaseline: true });
    const offFix = await measure('off-fix', { candidate: 'v1.1.1', baseline: 'v1.0.0', freshBaseline: true });
    stack.config.snapshots = true;
    const bareAfter = median([...bare, ...bareDockerRun(5)]);
    console.log(`speed: bare docker run again at the end: median ${bareAfter.toFixed(0)} ms over all 10 (the ratios above use the first 5)`);

    const same = (a: Measured, b: Measured) => JSON.stringify(verdictsOf(a.run)) === JSON.stringify(verdictsOf(b.run));
    console.log(`speed: v1.1.0 verdicts off = cold = warm: ${same(off, coldRun) && same(off, warm) ? 'identical' : 'DIFFER'}`);
    console.log(`speed: v1.1.1 verdicts off = reused baseline: ${same(offFix, second) ? 'identical' : 'DIFFER'}`);
    for (const m of [coldRun, warm, second]) if (m.run.timing) console.log(`speed: ${m.label.padEnd(8)} ${describeCriticalPath(m.run.timing)}`);
  } finally {
    await stack.close();
  }
  // Runner presets against hand-written rerun commands, on a stack of their own (bench/speed-presets.ts).
  await benchSpeedPresets();
}
