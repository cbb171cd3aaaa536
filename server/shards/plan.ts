/**
 * Sharded sides (issue 25 item 2), the planning half: a suite's test files split into N groups balanced
 * by their last measured durations, and a side's result as the union of its shards'. Not wired into the
 * orchestrator yet (see the issue's report): these are the rules the wiring is to follow.
 */
export interface FileCost {
  /** Relative to the consumer's workdir, as the runner preset's `files` selection takes it. */
  file: string;
  /** The file's tests' summed durations in the last measured side; null: never measured. */
  ms: number | null;
}

export interface Shard {
  files: string[];
  /** Its measured files' summed time: what the balancing evened out. */
  ms: number;
}

/**
 * Longest processing time first: each file, heaviest first, to the lightest shard so far (ties to the
 * lower index, so the same input gives the same plan). Files never measured are then dealt one by one to
 * the shard with the fewest of them (the lighter on a tie). null when no file was ever measured: such a suite runs whole once.
 */
export function planShards(files: FileCost[], n: number): Shard[] | null {
  if (!files.some((f) => f.ms !== null)) return null;
  const count = Math.max(1, Math.min(Math.floor(n), files.length));
  const shards: Shard[] = Array.from({ length: count }, () => ({ files: [], ms: 0 }));
  const measured = files.filter((f) => f.ms !== null).sort((a, b) => b.ms! - a.ms! || a.file.localeCompare(b.file));
  for (const f of measured) {
    const lightest = shards.reduce((best, s, i) => (s.ms < shards[best].ms ? i : best), 0);
    shards[lightest].files.push(f.file);
    shards[lightest].ms += f.ms!;
  }
  const unmeasured = files.filter((f) => f.ms === null).sort((a, b) => a.file.localeCompare(b.file));
  const added = shards.map(() => 0);
  for (const f of unmeasured) {
    const fewest = added.reduce((best, k, i) => (k < added[best] || (k === added[best] && shards[i].ms < shards[best].ms) ? i : best), 0);
    shards[fewest].files.push(f.file);
    added[fewest]++;
  }
  return shards.filter((s) => s.files.length > 0);
}

export interface ShardOutcome {
  status: 'passed' | 'failed' | 'error';
  durationMs: number;
  tests: Array<{ id: string; status: 'passed' | 'failed' | 'skipped' }>;
}

/**
 * A side from its shards: every test of every shard (one seen twice keeps its worst outcome), the
 * longest shard's duration, failed if any shard failed; an errored shard makes the side an error (it is
 * to be re-run alone, not counted as a test failure).
 */
export function mergeShards(shards: ShardOutcome[]): ShardOutcome {
  const rank = { failed: 2, passed: 1, skipped: 0 };
  const byId = new Map<string, ShardOutcome['tests'][number]>();
  for (const shard of shards) for (const t of shard.tests) if (!byId.has(t.id) || rank[t.status] > rank[byId.get(t.id)!.status]) byId.set(t.id, t);
  const status = shards.some((s) => s.status === 'error') ? 'error' : shards.some((s) => s.status === 'failed') ? 'failed' : 'passed';
  return { status, durationMs: Math.max(0, ...shards.map((s) => s.durationMs)), tests: [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)) };
}
