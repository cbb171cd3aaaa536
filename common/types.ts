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

/** A side that is a registry's published file: what names it, since it has no commit. */
export interface RegistrySideJson {
  registry: 'npm' | 'pypi';
  package: string;
  /** As the registry spells it. */
  version: string;
  /** The registry's digest of the file, as Subresource Integrity (`sha512-...`, PyPI's `sha256-...`). */
  integrity: string;
}

export interface SideSummary extends Partial<RegistrySideJson> {
  status: SideStatus;
  /** `registry`: the side also has `registry`, `package`, `version` and `integrity`. */
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

/** A first bad commit and the new failures of the bisected cell that first fail there. */
export interface BisectCulprit {
  firstBad: BisectCommit;
  /** The first 50; `testsTotal` says how many when cut. */
  tests: string[];
  testsTotal?: number;
}

/** Which library commit broke a regressed cell (CONTRACT: the cell field `bisect`). */
export interface BisectJson {
  status: BisectStatus;
  /** The earliest of `culprits`. */
  firstBad?: BisectCommit;
  /** A first bad commit per group of new failures (issue 23), earliest first; absent in bisects from before. */
  culprits?: BisectCulprit[];
  steps: BisectStepJson[];
  /** Why it is inconclusive. */
  reason?: string;
  /** The cell whose candidate side each step ran (one bisect per run and consumer). */
  cellId: string;
  /**
   * On each cell it shows on: how many of that cell's new failures are among the bisected cell's
   * (what the culprits explain). Absent while the counts are unknown (a bisect from before).
   */
  explains?: { tests: number; of: number };
  /** First-parent commits after the baseline, up to and including the candidate. */
  commits: number;
  /** The commit a step is running on now. */
  current?: string;
  /** When inconclusive: the commits the first bad one is among. */
  candidates?: BisectCommit[];
  startedAt: string;
  finishedAt: string | null;
}

/** A test a maintainer quarantined that failed anew in this cell: shown, and kept out of its verdict (server/quarantine). */
export interface QuarantinedTest {
  test: string;
  reason: string;
  /** When the quarantine ends, ISO 8601: cells decided from then on block on it again. */
  until: string;
  by: string;
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
  /** Quarantined tests that failed anew: not counted in the verdict, each with its reason. */
  quarantined?: QuarantinedTest[];
  /** The candidate's schema against the baseline's, for a consumer with `schema:` whose schema differs (issue 19). */
  schemaChanges?: SchemaChange[];
}

/** New failures of one cause (common/clusters): CONTRACT's report field `clusters`, largest first. */
export interface ClusterJson {
  /** The first error line of one of its failures, as it was. */
  message: string;
  /** That line normalised (numbers, ids, paths, addresses and quoted values out): what the failures share. */
  pattern: string;
  /** The innermost stack frame inside the library, when the traces have one. */
  frame?: string;
  count: number;
  cells: string[];
  tests: string[];
  /** Set when a run's JSON lists only the first of its tests or cells (Store.getRunWithClusters). */
  testsTotal?: number;
  cellsTotal?: number;
}

/** All of a run's causes and their failures, when its JSON lists only the largest of them. */
export interface ClustersTotal {
  causes: number;
  failures: number;
}

import type { CriticalPath } from './timing/critical-path.js';

export interface RunJson {
  id: string;
  library: string;
  candidate: string;
  baseline: string;
  candidateVersion: string;
  baselineVersion: string;
  candidateSha: string;
  /** A commit, or null when the baseline is a registry's file (then `baselineRegistry` names it). */
  baselineSha: string | null;
  baselineRegistry?: RegistrySideJson;
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
  /** A finished run's time against its critical path, and what it waited for (common/timing/critical-path.ts). */
  timing?: CriticalPath;
  cells: CellJson[];
  /** The regressed cells' new failures grouped by cause (common/clusters), largest first. */
  clusters?: ClusterJson[];
  clustersTotal?: ClustersTotal;
}

export type RunSummaryJson = Omit<RunJson, 'cells' | 'clusters' | 'clustersTotal'> & {
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
