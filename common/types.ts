/**
 * The one definition of a run, a cell and a verdict, shared by the server, the workers, the CLI and the
 * dashboard (CONTRACT: "A run as JSON").
 */

export const BACKENDS = ['sqlite', 'mysql', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

/** A cell's id is `<consumer>.<backend>`. */
export function backendOfCell(cellId: string): Backend {
  return cellId.slice(cellId.lastIndexOf('.') + 1) as Backend;
}

export const SIDES = ['candidate', 'baseline'] as const;
export type Side = (typeof SIDES)[number];

/** Per cell (consumer x backend), candidate against baseline. */
export const CELL_VERDICTS = ['pass', 'regression', 'flaky', 'fixed', 'failing', 'error', 'pending', 'running'] as const;
export type CellVerdict = (typeof CELL_VERDICTS)[number];
export type RunVerdict = 'pass' | 'blocked' | 'incomplete' | 'pending';
export type RunStatus = 'queued' | 'running' | 'done';
export type Trigger = 'cli' | 'api' | 'webhook';

/** How one side of a cell ended. `error` is infrastructure, never a test failure. */
export type SideStatus = 'pending' | 'running' | 'passed' | 'failed' | 'timeout' | 'error';

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Where a side's library came from: built from a tag of its repository, or the registry's published file. */
export type SideSource = 'tag' | 'registry';

export interface SideSummary {
  status: SideStatus;
  source: SideSource;
  durationMs: number | null;
  tests: TestCounts;
  /** Why the side errored or failed without tests (timeout, OOM, image missing...). */
  reason?: string;
}

export interface CellJson {
  id: string;
  consumer: string;
  backend: Backend;
  verdict: CellVerdict;
  /** Why the verdict says less than it seems: `baseline passed no test` on a failing cell with no evidence. */
  reason?: string;
  candidate: SideSummary;
  baseline: SideSummary;
  newFailures: string[];
  fixedTests: string[];
  attempts: number;
}

export interface RunJson {
  id: string;
  library: string;
  candidate: string;
  baseline: string;
  candidateVersion: string;
  baselineVersion: string;
  candidateSha: string;
  baselineSha: string;
  status: RunStatus;
  verdict: RunVerdict;
  trigger: Trigger;
  createdAt: string;
  finishedAt: string | null;
  cells: CellJson[];
}

export type RunSummaryJson = Omit<RunJson, 'cells'> & {
  counts: Record<CellVerdict, number>;
};

/** One test's outcome, as read from JUnit XML. */
export interface TestOutcome {
  id: string;
  status: 'passed' | 'failed' | 'skipped';
  message?: string;
  durationMs?: number;
}

export interface GateJson {
  state: 'pass' | 'blocked' | 'pending' | 'incomplete';
  runId: string | null;
  regressions: Array<{ cell: string; consumer: string; backend: Backend; newFailures: string[] }>;
}
