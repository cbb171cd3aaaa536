/**
 * Bisects in the store: one per run and consumer, its steps (a step without an outcome is in flight),
 * and the artifacts built for the commits it tested. JSON columns are parsed with zod at this edge.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { BisectCommit, BisectCulprit, BisectJson, BisectOutcome, BisectStatus, BisectStepJson } from '../../common/types.js';
import type { TestOutcomes } from '../bisect/search.js';

const Commit = z.object({ sha: z.string(), subject: z.string(), author: z.string(), date: z.string(), url: z.string().optional() });
const Commits = z.array(Commit);
const Ids = z.array(z.string());
const Culprits = z.array(z.object({ firstBad: Commit, tests: Ids }));
const StepTests = z.object({ good: Ids.optional(), bad: Ids.optional(), skip: Ids.optional() });

/** A group's tests a bisect's JSON lists; the store keeps them all. */
export const CULPRIT_TESTS_SHOWN = 50;

/** A first bad commit and the new failures that first fail there. */
export interface StoredCulprit {
  firstBad: BisectCommit;
  tests: string[];
}

export type StepPurpose = NonNullable<BisectStepJson['purpose']>;

interface BisectRow {
  run_id: string;
  consumer: string;
  cell_id: string;
  status: BisectStatus;
  reason: string | null;
  first_bad: string | null;
  culprits: string | null;
  candidates: string | null;
  commits: string;
  new_failures: string;
  cap: number;
  started_at: string;
  finished_at: string | null;
}

interface StepRow {
  run_id: string;
  consumer: string;
  seq: number;
  sha: string;
  purpose: StepPurpose;
  outcome: BisectOutcome | null;
  detail: string | null;
  duration_ms: number | null;
  tests: string | null;
}

export interface StoredBisect {
  runId: string;
  consumer: string;
  cellId: string;
  status: BisectStatus;
  reason: string | null;
  /** The earliest of `culprits` (the only one of a bisect stored before them). */
  firstBad: BisectCommit | null;
  /** A first bad commit per group of new failures, earliest first; null in bisects stored before them. */
  culprits: StoredCulprit[] | null;
  /** When inconclusive: the commits the first bad one is among. */
  candidates: BisectCommit[] | null;
  /** Index 0 the baseline, last the candidate: the first-parent history the search numbers. */
  commits: BisectCommit[];
  newFailures: string[];
  cap: number;
  startedAt: string;
  finishedAt: string | null;
}

export interface StoredStep {
  seq: number;
  sha: string;
  purpose: StepPurpose;
  outcome: BisectOutcome | null;
  detail: string | null;
  durationMs: number | null;
  /** What the step said of each new failure; null: the step's outcome stands for every test. */
  tests: TestOutcomes;
}

export interface StoredBuild {
  status: 'ok' | 'failed';
  artifactKey: string | null;
  reason: string | null;
  /** Failed for infrastructure reasons (not the commit's fault): its steps are errors, not skips. */
  infra: boolean;
}

export class Bisects {
  constructor(
    private readonly db: Database.Database,
    /** False only for a read-only store older than the bisects: it has none to show. */
    private readonly present = true,
  ) {}

  /** Creates the bisect unless one exists for this run and consumer; returns whether it did. */
  create(b: Omit<StoredBisect, 'status' | 'reason' | 'firstBad' | 'culprits' | 'candidates' | 'startedAt' | 'finishedAt'>): boolean {
    const info = this.db
      .prepare(`INSERT INTO bisects (run_id, consumer, cell_id, status, commits, new_failures, cap, started_at)
        VALUES (?, ?, ?, 'running', ?, ?, ?, ?) ON CONFLICT (run_id, consumer) DO NOTHING`)
      .run(b.runId, b.consumer, b.cellId, JSON.stringify(b.commits), JSON.stringify(b.newFailures), b.cap, new Date().toISOString());
    return info.changes > 0;
  }

  get(runId: string, consumer: string): StoredBisect | undefined {
    const row = this.db.prepare('SELECT * FROM bisects WHERE run_id = ? AND consumer = ?').get(runId, consumer) as BisectRow | undefined;
    return row ? parseBisect(row) : undefined;
  }

  ofRun(runId: string): StoredBisect[] {
    if (!this.present) return [];
    return (this.db.prepare('SELECT * FROM bisects WHERE run_id = ? ORDER BY consumer').all(runId) as BisectRow[]).map(parseBisect);
  }

  running(): StoredBisect[] {
    return (this.db.prepare(`SELECT * FROM bisects WHERE status = 'running' ORDER BY started_at`).all() as BisectRow[]).map(parseBisect);
  }

  finish(
    runId: string,
    consumer: string,
    end: { status: Exclude<BisectStatus, 'running'>; firstBad?: BisectCommit; culprits?: StoredCulprit[]; candidates?: BisectCommit[]; reason?: string },
  ): void {
    this.db
      .prepare(`UPDATE bisects SET status = ?, first_bad = ?, culprits = ?, candidates = ?, reason = ?, finished_at = ? WHERE run_id = ? AND consumer = ? AND status = 'running'`)
      .run(
        end.status,
        end.firstBad ? JSON.stringify(end.firstBad) : null,
        end.culprits?.length ? JSON.stringify(end.culprits) : null,
        end.candidates ? JSON.stringify(end.candidates) : null,
        end.reason ?? null,
        new Date().toISOString(),
        runId,
        consumer,
      );
  }

  steps(runId: string, consumer: string): StoredStep[] {
    const rows = this.db.prepare('SELECT * FROM bisect_steps WHERE run_id = ? AND consumer = ? ORDER BY seq').all(runId, consumer) as StepRow[];
    return rows.map((r) => ({
      seq: r.seq,
      sha: r.sha,
      purpose: r.purpose,
      outcome: r.outcome,
      detail: r.detail,
      durationMs: r.duration_ms,
      tests: r.tests ? StepTests.parse(JSON.parse(r.tests)) : null,
    }));
  }

  /** Adds a step in flight; a step with this number already there is kept (a replay changes nothing). */
  addStep(runId: string, consumer: string, seq: number, sha: string, purpose: StepPurpose): void {
    this.db
      .prepare(`INSERT INTO bisect_steps (run_id, consumer, seq, sha, purpose, started_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, consumer, seq) DO NOTHING`)
      .run(runId, consumer, seq, sha, purpose, new Date().toISOString());
  }

  /** Records a step's outcome once; false when it already had one. */
  endStep(runId: string, consumer: string, seq: number, outcome: BisectOutcome, detail: string | null, durationMs: number | null, tests: TestOutcomes = null): boolean {
    const info = this.db
      .prepare(`UPDATE bisect_steps SET outcome = ?, detail = ?, duration_ms = ?, tests = ?, finished_at = ? WHERE run_id = ? AND consumer = ? AND seq = ? AND outcome IS NULL`)
      .run(outcome, detail, durationMs, tests ? JSON.stringify(tests) : null, new Date().toISOString(), runId, consumer, seq);
    return info.changes > 0;
  }

  recordBuild(runId: string, sha: string, build: StoredBuild & { durationMs: number }): boolean {
    const info = this.db
      .prepare(`INSERT INTO bisect_builds (run_id, sha, status, artifact_key, reason, infra, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, sha) DO NOTHING`)
      .run(runId, sha, build.status, build.artifactKey, build.reason, build.infra ? 1 : 0, build.durationMs);
    return info.changes > 0;
  }

  build(runId: string, sha: string): StoredBuild | undefined {
    const row = this.db.prepare('SELECT status, artifact_key, reason, infra FROM bisect_builds WHERE run_id = ? AND sha = ?').get(runId, sha) as
      | { status: 'ok' | 'failed'; artifact_key: string | null; reason: string | null; infra: number }
      | undefined;
    return row ? { status: row.status, artifactKey: row.artifact_key, reason: row.reason, infra: row.infra === 1 } : undefined;
  }

  /** The bisect as the API shows it on each regressed cell of its consumer. */
  json(b: StoredBisect): BisectJson {
    const steps = this.steps(b.runId, b.consumer);
    const subjectOf = new Map(b.commits.map((c) => [c.sha, c.subject]));
    const current = steps.find((s) => s.outcome === null);
    return {
      status: b.status,
      ...(b.firstBad ? { firstBad: b.firstBad } : {}),
      ...(b.culprits ? { culprits: b.culprits.map(culpritJson) } : {}),
      steps: steps
        .filter((s): s is StoredStep & { outcome: BisectOutcome } => s.outcome !== null)
        .map((s) => ({
          sha: s.sha,
          outcome: s.outcome,
          subject: subjectOf.get(s.sha),
          purpose: s.purpose,
          durationMs: s.durationMs,
          ...(s.detail ? { detail: s.detail } : {}),
        })),
      ...(b.reason ? { reason: b.reason } : {}),
      cellId: b.cellId,
      commits: b.commits.length - 1,
      ...(current && b.status === 'running' ? { current: current.sha } : {}),
      ...(b.candidates ? { candidates: b.candidates } : {}),
      startedAt: b.startedAt,
      finishedAt: b.finishedAt,
    };
  }
}

function culpritJson(c: StoredCulprit): BisectCulprit {
  const cut = c.tests.length > CULPRIT_TESTS_SHOWN;
  return { firstBad: c.firstBad, tests: cut ? c.tests.slice(0, CULPRIT_TESTS_SHOWN) : c.tests, ...(cut ? { testsTotal: c.tests.length } : {}) };
}

function parseBisect(row: BisectRow): StoredBisect {
  return {
    runId: row.run_id,
    consumer: row.consumer,
    cellId: row.cell_id,
    status: row.status,
    reason: row.reason,
    firstBad: row.first_bad ? Commit.parse(JSON.parse(row.first_bad)) : null,
    culprits: row.culprits ? Culprits.parse(JSON.parse(row.culprits)) : null,
    candidates: row.candidates ? Commits.parse(JSON.parse(row.candidates)) : null,
    commits: Commits.parse(JSON.parse(row.commits)),
    newFailures: Ids.parse(JSON.parse(row.new_failures)),
    cap: row.cap,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
