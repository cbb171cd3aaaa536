/**
 * Runner presets on the examples' real suites (issue 25 item 1): py-inventory (pytest) and js-ledger
 * (mocha) with `runner:` and no `rerun` command. A confirming re-run runs only the cell's new failures;
 * a command that writes no JUnit still gives per-test results. Real Redis, Docker, MariaDB, git.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../common/config.js';
import { queryStore } from './helpers/snapshots.js';
import { startStack, type Stack } from './helpers/stack.js';

const REPOS = path.join(REPO_ROOT, 'examples', '.repos');

/** The example matrix with each `rerun` dropped for a `runner`, one re-run, no bisect, and two consumers whose commands write no JUnit. */
function presetMatrix(dir: string): string {
  let text = readFileSync(path.join(REPO_ROOT, 'matrix.yaml'), 'utf8')
    .replaceAll('repo: examples/.repos/', `repo: ${REPOS}/`)
    .replaceAll('timeoutSeconds: 300', 'timeoutSeconds: 1800')
    .replace('defaults:\n', 'defaults:\n  reruns: 1\n')
    .replace('    tags: v{version}\n', '    tags: v{version}\n    bisect: false\n');
  // The rerun commands (folded, two lines each) go; a runner takes their place.
  text = text.replace(/ {8}rerun: >-\n(?: {10}.*\n)+/g, '');
  text = text.replace('      - name: py-inventory\n', '      - name: py-inventory\n        runner: pytest\n');
  text = text.replace('      - name: js-ledger\n', '      - name: js-ledger\n        runner: mocha\n');
  const bare = `
      - name: py-bare
        runner: pytest
        repo: ${REPOS}/py-inventory
        ref: v2.4.0
        image: compat-runner:bookworm
        install: python3 -m venv --system-site-packages /tmp/venv
        installCandidate: /tmp/venv/bin/python -m pip install --no-index --no-deps --no-cache-dir "$COMPAT_ARTIFACT_DIR"/quarry-*.whl
        test: /tmp/venv/bin/python -m pytest -q
        backends: [mysql]
        timeoutSeconds: 1800
      - name: js-bare
        runner: mocha
        repo: ${REPOS}/js-ledger
        ref: v0.3.0
        image: compat-runner:bookworm
        install: npm ci --no-audit --no-fund
        installCandidate: npm install --no-save --no-audit --no-fund "$COMPAT_ARTIFACT_DIR/quarry.tgz"
        test: npx mocha
        backends: [mysql]
        timeoutSeconds: 1800
`;
  text = text.replace('\n      # A suite that ignores DATABASE_URL', `${bare}\n      # A suite that ignores DATABASE_URL`);
  const file = path.join(dir, 'matrix.yaml');
  writeFileSync(file, text);
  return file;
}

describe.runIf(existsSync(path.join(REPOS, 'quarry')))('runner presets on the examples', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ matrix: presetMatrix, concurrency: 2 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('a confirming re-run runs only the new failures, without a rerun command; JUnit comes without one in the command', async () => {
    const created = await stack.api('POST', '/api/runs', {
      library: 'quarry',
      candidate: 'v1.1.0',
      baseline: 'v1.0.0',
      consumers: ['py-inventory', 'js-ledger', 'py-bare', 'js-bare'],
      backends: ['mysql'],
    });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id, 3_600_000);
    expect(run.verdict).toBe('blocked');
    const rows = queryStore<{ cell: string; side: string; attempt: number; tests: number }>(
      stack.config.dataDir,
      'SELECT cell_id AS cell, side, attempt, passed + failed + skipped AS tests FROM side_results WHERE run_id = ?',
      run.id,
    );
    for (const id of ['py-inventory.mysql', 'js-ledger.mysql', 'py-bare.mysql', 'js-bare.mysql']) {
      const cell = run.cells.find((c) => c.id === id)!;
      expect(cell, id).toMatchObject({ verdict: 'regression', attempts: 2 });
      // The examples' upsert regression: several new failures out of a suite of 9-10 tests.
      expect(cell.newFailures.length, id).toBeGreaterThan(1);
      const suite = rows.find((r) => r.cell === id && r.side === 'baseline' && r.attempt === 0)!.tests;
      expect(suite, id).toBeGreaterThan(cell.newFailures.length);
      for (const side of ['candidate', 'baseline']) {
        // The re-run's side reported exactly the new failures, no other test.
        expect(rows.find((r) => r.cell === id && r.side === side && r.attempt === 1)!.tests, `${id} ${side}`).toBe(cell.newFailures.length);
      }
    }
    // The bare commands' ids are the preset's JUnit's: the same tests as the examples' own reporters name.
    const ids = (id: string) => run.cells.find((c) => c.id === id)!.newFailures;
    expect(ids('py-bare.mysql')).toEqual(ids('py-inventory.mysql'));
    expect(ids('js-bare.mysql').length).toBe(ids('js-ledger.mysql').length);
  }, 3_600_000);
});
