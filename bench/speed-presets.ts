/**
 * `npm run bench -- speed`, runner presets and the critical path (issue 25): the example's regression
 * (quarry v1.1.0, MySQL cells of py-inventory and js-ledger) confirmed by a hand-written `rerun` and by
 * a runner preset with none (test/helpers/preset-matrix.ts), one after the other on one stack, each with
 * a fresh baseline. Prints, per run: time to verdict, the preset's against the `rerun`'s as a ratio
 * (goal: within 10%), the tests each confirming re-run side ran against the cell's new failures, and the
 * run's time against its critical path. Ratios only; nothing gates.
 */
import { defaultConcurrency } from '../cli/local-stack.js';
import { REPO_ROOT } from '../common/config.js';
import { describeCriticalPath } from '../common/timing/critical-path.js';
import type { RunJson } from '../common/types.js';
import { presetTwinsMatrix } from '../test/helpers/preset-matrix.js';
import { queryStore } from '../test/helpers/snapshots.js';
import { startStack } from '../test/helpers/stack.js';

export async function benchSpeedPresets(): Promise<void> {
  const concurrency = defaultConcurrency();
  // The twins' matrix is written to a temp folder and names the examples' repositories under the project.
  process.env.COMPAT_REPO_ROOTS = [process.env.COMPAT_REPO_ROOTS, REPO_ROOT].filter(Boolean).join(':');
  const stack = await startStack({ concurrency, matrix: presetTwinsMatrix });
  process.once('SIGINT', () => void stack.close().finally(() => process.exit(130)));
  try {
    const measure = async (label: string, consumers: string[]): Promise<{ run: RunJson; wallMs: number }> => {
      const started = performance.now();
      const created = await stack.api('POST', '/api/runs', { library: 'quarry', candidate: 'v1.1.0', baseline: 'v1.0.0', consumers, backends: ['mysql'], freshBaseline: true });
      if (created.status !== 201) throw new Error(`${label}: ${created.status} ${JSON.stringify(created.body)}`);
      const run = await stack.waitForRun(created.body.id, 3_600_000);
      const wallMs = performance.now() - started;
      const rows = queryStore<{ cell: string; side: string; tests: number }>(
        stack.config.dataDir,
        'SELECT cell_id AS cell, side, passed + failed + skipped AS tests FROM side_results WHERE run_id = ? AND attempt = 1',
        run.id,
      );
      for (const cell of run.cells) {
        const ran = rows.filter((r) => r.cell === cell.id).map((r) => `${r.side} ${r.tests}`);
        console.log(`speed: ${label.padEnd(8)} ${cell.id}: ${cell.verdict}, ${cell.newFailures.length} new failures; confirming re-run ran ${ran.join(', ') || 'nothing'} tests`);
      }
      console.log(`speed: ${label.padEnd(8)} time to verdict ${(wallMs / 1000).toFixed(1)} s; ${run.timing ? describeCriticalPath(run.timing) : 'no critical path'}`);
      return { run, wallMs };
    };
    // Warms the install snapshots of all four consumers first: the two runs measured start alike.
    await measure('warm-up', ['py-inventory', 'js-ledger', 'py-inventory-preset', 'js-ledger-preset']);
    const rerun = await measure('rerun', ['py-inventory', 'js-ledger']);
    const preset = await measure('preset', ['py-inventory-preset', 'js-ledger-preset']);
    console.log(`speed: preset  time to verdict ${(preset.wallMs / rerun.wallMs).toFixed(2)}x the hand-written rerun's (goal: within 10%)`);
    const same = (a: RunJson, b: RunJson) => a.cells.map((c) => `${c.backend} ${c.verdict} ${c.newFailures.length}`).join() === b.cells.map((c) => `${c.backend} ${c.verdict} ${c.newFailures.length}`).join();
    console.log(`speed: preset  verdicts and new-failure counts = the rerun's: ${same(rerun.run, preset.run) ? 'identical' : 'DIFFER'}`);
  } finally {
    await stack.close();
  }
}
