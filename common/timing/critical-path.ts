/**
 * How long a run took against its critical path (issue 25 item 4): the longest chain of work it needed
 * (a side's artifact build, then that cell's first side, then each confirming attempt, which waits for
 * both sides of the one before), had every job started the moment it could. What the wall time has over
 * that is time jobs waited for a worker slot; the chain itself splits into the tests' own time and the
 * engine's (builds, containers, databases, installs). The largest of the three is what the run waited for.
 * A pure function of the run's recorded timings: the server computes it once, the page and
 * `compat report` show it.
 */
/** A cell's side, as common/types.ts names it (not imported: types.ts imports this file's types). */
type Side = 'candidate' | 'baseline';

export interface SideTiming {
  cellId: string;
  side: Side;
  attempt: number;
  /** The side's duration as its worker measured it; null while it runs. */
  durationMs: number | null;
  /** Its test command's time (phases.test); the rest of its duration is the engine's. */
  testMs: number | null;
  /** A baseline reused from an earlier run: it did not run here, and costs nothing. */
  reused: boolean;
}

export interface RunTimings {
  /** Creation to last verdict (or to now, while it runs). */
  wallMs: number;
  builds: Partial<Record<Side, number | null>>;
  sides: SideTiming[];
}

export type WaitedFor = 'slots' | 'engine' | 'tests';

export interface CriticalPath {
  wallMs: number;
  criticalMs: number;
  /** The critical path's parts: the build on it, the tests' time and the engine's (build included). */
  buildMs: number;
  testMs: number;
  engineMs: number;
  /** Wall time beyond the critical path: jobs queued for a slot, and the server's own turns between them. */
  waitMs: number;
  /** The cell whose chain is the critical path, and the attempts it needed. */
  cellId: string | null;
  attempts: number;
  waitedFor: WaitedFor;
}

interface Step {
  ms: number;
  testMs: number;
}

function stepOf(t: SideTiming | undefined): Step {
  if (!t || t.reused || t.durationMs === null) return { ms: 0, testMs: 0 };
  const testMs = Math.min(t.testMs ?? 0, t.durationMs);
  return { ms: t.durationMs, testMs };
}

export function criticalPath(timings: RunTimings): CriticalPath {
  const byCell = new Map<string, SideTiming[]>();
  for (const t of timings.sides) {
    const list = byCell.get(t.cellId);
    if (list) list.push(t);
    else byCell.set(t.cellId, [t]);
  }
  let best = { ms: 0, buildMs: 0, testMs: 0, cellId: null as string | null, attempts: 0 };
  for (const [cellId, sides] of byCell) {
    const attempts = Math.max(...sides.map((s) => s.attempt)) + 1;
    const at = (side: Side, attempt: number) => sides.find((s) => s.side === side && s.attempt === attempt);
    // Attempt 0: each side after its own build; the longer of the two chains counts.
    let chain = { ms: 0, buildMs: 0, testMs: 0 };
    for (const side of ['candidate', 'baseline'] as const) {
      const step = stepOf(at(side, 0));
      const build = at(side, 0)?.reused ? 0 : (timings.builds[side] ?? 0);
      if (build + step.ms > chain.ms) chain = { ms: build + step.ms, buildMs: build, testMs: step.testMs };
    }
    // Each confirming attempt starts once both sides of the one before are done: its longer side adds.
    for (let attempt = 1; attempt < attempts; attempt++) {
      const [c, b] = [stepOf(at('candidate', attempt)), stepOf(at('baseline', attempt))];
      const longer = c.ms >= b.ms ? c : b;
      chain = { ms: chain.ms + longer.ms, buildMs: chain.buildMs, testMs: chain.testMs + longer.testMs };
    }
    if (chain.ms > best.ms || best.cellId === null) best = { ...chain, cellId, attempts };
  }
  const criticalMs = best.ms;
  const waitMs = Math.max(0, timings.wallMs - criticalMs);
  const engineMs = criticalMs - best.testMs;
  const parts: Array<[WaitedFor, number]> = [
    ['slots', waitMs],
    ['engine', engineMs],
    ['tests', best.testMs],
  ];
  const waitedFor = parts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return { wallMs: timings.wallMs, criticalMs, buildMs: best.buildMs, testMs: best.testMs, engineMs, waitMs, cellId: best.cellId, attempts: best.attempts, waitedFor };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** One line for the report and the run page. */
export function describeCriticalPath(p: CriticalPath): string {
  const share = p.criticalMs > 0 ? ` (${(p.wallMs / p.criticalMs).toFixed(2)}x)` : '';
  const on = p.cellId ? `: ${p.cellId}, ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}, build ${s(p.buildMs)}` : '';
  return `took ${s(p.wallMs)} against a critical path of ${s(p.criticalMs)}${share}${on}; tests ${s(p.testMs)}, engine ${s(p.engineMs)}, waiting for slots ${s(p.waitMs)}: waited most for ${p.waitedFor === 'slots' ? 'slots' : p.waitedFor === 'engine' ? 'the engine' : 'the tests'}`;
}
