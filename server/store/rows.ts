/** The tables' rows as better-sqlite3 returns them (migrations.ts has the columns' history). */
import type { Backend, CellVerdict, RunStatus, RunVerdict, Side, SideSource, SideStatus, Trigger } from '../../common/types.js';

export interface RunRow {
  id: string;
  library: string;
  candidate: string;
  baseline: string;
  candidate_version: string;
  baseline_version: string;
  candidate_sha: string;
  baseline_sha: string;
  status: RunStatus;
  verdict: RunVerdict;
  trigger: Trigger;
  reruns: number;
  meta: string;
  baseline_source: SideSource;
  created_at: string;
  finished_at: string | null;
}

export interface CellRow {
  run_id: string;
  id: string;
  consumer: string;
  backend: Backend;
  verdict: CellVerdict;
  attempts: number;
  new_failures: string;
  fixed_tests: string;
  config: string;
  reason: string | null;
  schema_changes?: string | null;
}

export interface SideRow {
  run_id: string;
  cell_id: string;
  side: Side;
  attempt: number;
  status: SideStatus;
  duration_ms: number | null;
  overhead_ms: number | null;
  passed: number;
  failed: number;
  skipped: number;
  reason: string | null;
  exit_code: number | null;
  phases: string | null;
  facts: string | null;
  reuse_key: string | null;
  reused_from: string | null;
  dropped: string | null;
  schema: string | null;
}
