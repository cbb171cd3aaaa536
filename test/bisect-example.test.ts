/**
 * The example library's bisect on real parts (examples/README.md): quarry v1.1.0 against v1.0.0 on
 * py-inventory's MySQL cell, the one commit that broke upsert named, the unbuildable one skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../common/config.js';
import { startStack, type Stack } from './helpers/stack.js';

const QUARRY = path.join(REPO_ROOT, 'examples', '.repos', 'quarry');

/**
 * matrix.yaml as it is, but with one confirming re-run and a side timeout far above what a side takes
 * on a machine shared by many (a side that runs out its time is not a regression to bisect).
 */
function exampleMatrix(dir: string): string {
  const text = readFileSync(path.join(REPO_ROOT, 'matrix.yaml'), 'utf8')
    .replaceAll('repo: examples/.repos/', `repo: ${path.join(REPO_ROOT, 'examples', '.repos')}/`)
    .replaceAll('timeoutSeconds: 300', 'timeoutSeconds: 1800')
    .replace('defaults:\n', 'defaults:\n  reruns: 1\n');
  const file = path.join(dir, 'matrix.yaml');
  writeFileSync(file, text);
  return file;
}

describe.runIf(existsSync(QUARRY))('bisect of the example regression', () => {
  let stack: Stack;

  afterAll(async () => {
    await stack?.close();
  });

  it('names "Use INSERT ... ON DUPLICATE KEY for upsert" in at most ceil(log2 N) + 2 steps, skipping the commit that does not build', async () => {
    stack = await startStack({ matrix: exampleMatrix, concurrency: 2 });
    const created = await stack.api('POST', '/api/runs', { library: 'quarry', candidate: 'v1.1.0', consumers: ['py-inventory'], backends: ['mysql'] });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const run = await stack.waitForRun(id, 3_600_000);
    const cell = run.cells.find((c) => c.id === 'py-inventory.mysql')!;
    expect(cell.verdict).toBe('regression');

    let bisect = cell.bisect!;
    const deadline = Date.now() + 3_600_000;
    while (bisect.status === 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      bisect = stack.server.store.getRun(id)!.cells.find((c) => c.id === cell.id)!.bisect!;
    }

    const git = (...args: string[]) => execFileSync('git', args, { cwd: QUARRY, encoding: 'utf8' }).trim();
    const commits = git('rev-list', '--first-parent', '--reverse', 'v1.0.0..v1.1.0').split('\n');
    const culprit = commits.find((sha) => git('log', '-1', '--format=%s', sha) === 'Use INSERT ... ON DUPLICATE KEY for upsert')!;
    const unbuildable = commits.find((sha) => git('log', '-1', '--format=%s', sha) === 'build: ship the LICENSE in both packages')!;
    expect(bisect).toMatchObject({
      status: 'found',
      cellId: 'py-inventory.mysql',
      commits: commits.length,
      firstBad: { sha: culprit, subject: 'Use INSERT ... ON DUPLICATE KEY for upsert', author: 'Quarry Maintainers', date: expect.stringMatching(/^2024-/) },
    });
    expect(bisect.steps.length).toBeLessThanOrEqual(Math.ceil(Math.log2(commits.length)) + 2);
    expect(bisect.steps.find((s) => s.sha === unbuildable)).toMatchObject({ outcome: 'skip', detail: expect.stringContaining('artifact build failed') });
    // The steps' outcomes are the truth about each commit: bad from the culprit on.
    for (const step of bisect.steps.filter((s) => s.outcome !== 'skip')) {
      expect(step.outcome, step.sha).toBe(commits.indexOf(step.sha) >= commits.indexOf(culprit) ? 'bad' : 'good');
    }

    // What a bisect costs, in cell sides: its wall time over one candidate side of the same cell.
    const wallMs = Date.parse(bisect.finishedAt!) - Date.parse(bisect.startedAt);
    const sideMs = cell.candidate.durationMs!;
    console.log(`bisect: ${bisect.steps.length} steps over ${commits.length} commits in ${(wallMs / 1000).toFixed(1)} s; one candidate side ${(sideMs / 1000).toFixed(1)} s; ratio ${(wallMs / sideMs).toFixed(1)}`);
  }, 7_200_000);
});
