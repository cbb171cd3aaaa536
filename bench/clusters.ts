/**
 * Clustering a run with 10,000 new failures (issue 21: under 1 s): the pure clusterer over real
 * failure texts made to vary as real runs do (ids, numbers, addresses, quoted values, each with its
 * trace), and the store's read of a run holding them (getRunWithClusters less getRun), on a real SQLite
 * file. Prints the times, gates nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterFailures, type NewFailure } from '../common/clusters/cluster.js';
import type { ResolvedConsumer } from '../common/matrix/load.js';
import { Store } from '../server/store/store.js';

const FAILURES = 10_000;
const CELLS = 100;
const CAUSES = 40;

function templates(): string[] {
  const read = (name: string) =>
    (JSON.parse(readFileSync(new URL(`../common/clusters/fixtures/${name}`, import.meta.url), 'utf8')) as Array<{ message: string }>).map((t) => t.message);
  return [...read('sqlmodel-0.0.6-on-sqlalchemy-1.4.36.json'), ...read('py-inventory-2.4.0-on-quarry-1.1.0.mysql.json')];
}

/** Failure i: one of CAUSES causes, with what varies between occurrences changed. */
function failures(): NewFailure[] {
  const texts = templates();
  return Array.from({ length: FAILURES }, (_, i) => {
    const cause = i % CAUSES;
    const base = texts[cause % texts.length];
    // A word of its own per cause (numbers are taken out, so no digit could tell them apart).
    const word = String.fromCharCode(97 + (cause % 26)) + String.fromCharCode(97 + Math.floor(cause / 26));
    const message = `${word} ${base}`
      .replace(/0x[0-9a-f]+/g, `0x${(0x7f000000 + i).toString(16)}`)
      .replace(/'(Hero|Team)'/g, `'Model${i}'`)
      .replace(/:(\d+):/g, (_m, n: string) => `:${Number(n) + (i % 7)}:`);
    return { cell: `consumer-${i % CELLS}.mysql`, test: `tests.test_${cause}::test_${i}`, message };
  });
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

export async function benchClusters(): Promise<void> {
  const input = failures();
  const chars = input.reduce((n, f) => n + (f.message?.length ?? 0), 0);
  const pure = Array.from({ length: 5 }, () => time(() => clusterFailures(input, ['sqlalchemy', 'quarry'])));
  console.log(
    `clusterer: ${FAILURES} new failures (${(chars / 1e6).toFixed(1)} M characters of messages and traces) -> ${pure[0].value.length} causes in ${median(pure.map((p) => p.ms)).toFixed(0)} ms (median of 5)`,
  );

  const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-bench-clusters-'));
  const store = new Store(Store.fileIn(dir));
  try {
    const config: ResolvedConsumer = { name: 'c', repo: 'r', ref: 'v1', image: 'i', installCandidate: 'true', test: 'true', backends: ['mysql'], env: {}, secretEnv: [], timeoutSeconds: 60, resources: { memoryMb: 256, cpus: 1, pids: 64, diskMb: 1024 } };
    const cells = Array.from({ length: CELLS }, (_, i) => ({ id: `consumer-${i}.mysql`, consumer: `consumer-${i}`, backend: 'mysql' as const, config }));
    store.insertRun({ id: 'b1', library: 'sqlalchemy', candidate: 'v2', baseline: 'v1', candidateVersion: '2', baselineVersion: '1', candidateSha: 'c'.repeat(40), baselineSha: 'b'.repeat(40), trigger: 'api', reruns: 2 }, cells);
    // Recording the results works each failure's cause out once, when it arrives (server/store/clusters.ts).
    const recording = Date.now();
    const byCell = new Map<string, NewFailure[]>();
    for (const f of input) byCell.set(f.cell, [...(byCell.get(f.cell) ?? []), f]);
    store.transaction(() => {
      for (const [cellId, list] of byCell) {
        const tests = list.map((f) => ({ id: f.test, status: 'failed' as const, message: f.message }));
        store.recordSideResult({ runId: 'b1', cellId, side: 'candidate', attempt: 0, status: 'failed', durationMs: 1, overheadMs: 0, tests });
        store.recordSideResult({ runId: 'b1', cellId, side: 'baseline', attempt: 0, status: 'passed', durationMs: 1, overheadMs: 0, tests: tests.map((t) => ({ id: t.id, status: 'passed' as const })) });
        store.setCellDecision('b1', cellId, 'regression', 3, list.map((f) => f.test).sort(), []);
      }
    });
    console.log(`store: recording ${CELLS} candidate and baseline sides with ${FAILURES} failures took ${Date.now() - recording} ms, causes included`);
    const plain = median(Array.from({ length: 5 }, () => time(() => store.getRun('b1')).ms));
    const withClusters = Array.from({ length: 5 }, () => time(() => store.getRunWithClusters('b1')));
    const ms = median(withClusters.map((w) => w.ms));
    console.log(
      `store: a run of ${CELLS} regressed cells, ${FAILURES} new failures: getRunWithClusters ${ms.toFixed(0)} ms, getRun ${plain.toFixed(0)} ms: clustering costs ${(ms - plain).toFixed(0)} ms (${withClusters[0].value?.clusters?.length} causes; median of 5)`,
    );
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
