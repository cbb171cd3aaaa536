/**
 * The one definition of a run, a cell and a verdict, shared by the server, the workers, the CLI and the
 * dashboard (CONTRACT: "A run as JSON"). Type-only imports: the dashboard bundles this file, not zod.
 */
import type { DroppedTests, SideStatus, TestOutcome } from './test-outcome.js';
import type { SchemaChange } from './schema/diff.js';

export type { DroppedTests, SideStatus, TestOutcome };

export const BACKENDS = ['sqlite', 'mysql', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

export const SIDES = ['candidate', 'baseline'] as const;
export type Side = (typeof SIDES)[number];

/** Per cell (consumer x backend), candidate against baseline. */
export const CELL_VERDICTS = ['pass', 'regression', 'flaky', 'fixed', 'failing', 'error', 'pending', 'running'] as const;
export type CellVerdict = (typeof CELL_VERDICTS)[number];
/** `cancelled`: stopped by `compat cancel` before its verdict; the gate treats it as no run. */
export type RunVerdict = 'pass' | 'blocked' | 'incomplete' | 'pending' | 'cancelled';
export type RunStatus = 'queued' | 'running' | 'done';
export type Trigger = 'cli' | 'api' | 'webhook';

/** How one side of a cell ended. `error` is infrastructure, never a test failure. */

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
  /** The run this (baseline) result was reused from, instead of running it again. */
  reusedFrom?: string;
  /** Milliseconds per phase: checkout, database, install, install-candidate, container, test... */
  phases?: Record<string, number>;
  /** Tests the side's JUnit reported that were not kept (over the side's allowance); absent when all were. */
  dropped?: DroppedTests;
}

export type BisectStatus = 'running' | 'found' | 'inconclusive';
export type BisectOutcome = 'good' | 'bad' | 'skip' | 'error';

/** A library commit, as a bisect names it. */
export interface BisectCommit {
  sha: string;
  subject: string;
  author: string;
  /** Author date, ISO 8601. */
  date: string;
  /** The commit's page, when the library's repository is on GitHub or GitLab. */
  url?: string;
}

export interface BisectStepJson {
  sha: string;
  outcome: BisectOutcome;
  subject?: string;
  /** `confirm`: a second look at a commit next to the answer; `retry`: after an infrastructure error. */
  purpose?: 'search' | 'confirm' | 'retry';
  durationMs?: number | null;
  /** Why a step was skipped or errored (the build's failure, the side's reason). */
  detail?: string;
}

/** Which library commit broke a regressed cell (CONTRACT: the cell field `bisect`). */
export interface BisectJson {
  status: BisectStatus;
  firstBad?: BisectCommit;
  steps: BisectStepJson[];
  /** Why it is inconclusive. */
  reason?: string;
  /** The cell whose candidate side each step ran (one bisect per run and consumer). */
  cellId: string;
  /** First-parent commits after the baseline, up to and including the candidate. */
  commits: number;
  /** The commit a step is running on now. */
  current?: string;
  /** When inconclusive: the commits the first bad one is among. */
  candidates?: BisectCommit[];
  startedAt: string;
  finishedAt: string | null;
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
  /** In a run's JSON and the gate's answer, only the first RUN_JSON_IDS_MAX (50); the cell's route pages the rest. */
  newFailures: string[];
  fixedTests: string[];
  /** How many ids a list has in all, present when the list above shows only the first of them. */
  newFailuresTotal?: number;
  fixedTestsTotal?: number;
  attempts: number;
  bisect?: BisectJson;
  /** The candidate's schema against the baseline's, for a consumer with `schema:` whose schema differs (issue 19). */
  schemaChanges?: SchemaChange[];
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
  /**
   * The run's baseline is the candidate version's own (the default previous release, or the registry's
   * for a library with `registry:`): only such runs decide the gate (common/verdict.ts gateOf).
   */
  ownBaseline?: boolean;
  cells: CellJson[];
}

export type RunSummaryJson = Omit<RunJson, 'cells'> & {
  counts: Record<CellVerdict, number>;
};

export interface GateJson {
  state: 'pass' | 'blocked' | 'pending' | 'incomplete';
  /** The newest run that decides the gate (one against the version's own baseline). */
  runId: string | null;
  /** Each with the run that decided that cell. */
  regressions: Array<{ cell: string; consumer: string; backend: Backend; newFailures: string[]; newFailuresTotal?: number; runId: string }>;
  /** Every cell the gate counted, with its verdict and the run that decided it. */
  cells: Array<{ cell: string; verdict: CellVerdict; runId: string }>;
}
