/**
 * The JSON the HTTP API answers, as the dashboard and the CLI read it (CONTRACT "HTTP"): the one module
 * both import, and what the server's builders return, so tsc checks that the two sides agree. A run, a
 * cell, a bisect and the gate are defined with the verdicts they use in types.ts; a cell's detail and a
 * consumer's history here, where they can name the consumer's configuration (matrix/load.ts imports
 * types.ts, so types.ts cannot import it back).
 */
import type { ResolvedConsumer } from './matrix/load.js';
import type { Backend, CellJson, CellVerdict, RunJson, Side, SideStatus, TestOutcome } from './types.js';

export type { BisectCommit, BisectCulprit, BisectJson, BisectStepJson, CellJson, GateJson, RunJson, RunSummaryJson, SideSummary, TestOutcome } from './types.js';

/** `GET /api/runs/:id/cells/:cellId`: one cell with its tests, its consumer's config and how to reproduce it. */
export interface CellDetailJson {
  run: Omit<RunJson, 'cells'> & { cells?: undefined };
  cell: CellJson;
  /** Per-test outcomes of the first attempt of each side. */
  tests: Record<Side, TestOutcome[]>;
  config: ResolvedConsumer;
  attempts: Array<{ side: Side; attempt: number; status: SideStatus }>;
  /** The `compat run` line that re-runs this cell; the by-hand script is at `.../repro?side=`. */
  reproduce: { compat: string };
  /**
   * `?offset=&limit=` applies to `cell.newFailures`, `cell.fixedTests` and each side's `tests` alike;
   * the totals say how many there are in all (`cell.newFailuresTotal` and `cell.fixedTestsTotal` too).
   */
  page: { offset: number; limit: number; newFailures: number; fixedTests: number; tests: Record<Side, number> };
}

/** One cell of a consumer in one run, as its history lists it. */
export interface HistoryEntryJson {
  runId: string;
  /** The run's candidate and baseline versions. */
  candidate: string;
  baseline: string;
  backend: Backend;
  verdict: CellVerdict;
  createdAt: string;
}

/** `GET /api/history`: one consumer's cells across runs of a library, newest first. */
export type HistoryJson = HistoryEntryJson[];
