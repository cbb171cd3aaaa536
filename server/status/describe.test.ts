import { describe, expect, it } from 'vitest';
import type { CellJson, CellVerdict, RunJson } from '../../common/types.js';
import { DESCRIPTION_MAX, describeRun, stateOf, truncate } from './describe.js';

function cell(id: string, verdict: CellVerdict): CellJson {
  const side = { status: 'passed' as const, source: 'tag' as const, durationMs: 1, tests: { passed: 1, failed: 0, skipped: 0 } };
  return { id, consumer: id.split('.')[0], backend: id.split('.')[1] as CellJson['backend'], verdict, candidate: side, baseline: side, newFailures: [], fixedTests: [], attempts: 1 };
}

function run(verdicts: Array<[string, CellVerdict]>, extra: Partial<RunJson> = {}): RunJson {
  return {
    id: 'r1',
    library: 'quarry',
    candidate: 'v1.1.0',
    baseline: 'v1.0.0',
    candidateVersion: '1.1.0',
    baselineVersion: '1.0.0',
    candidateSha: 'a'.repeat(40),
    baselineSha: 'b'.repeat(40),
    status: 'done',
    verdict: 'pass',
    trigger: 'webhook',
    createdAt: '',
    finishedAt: null,
    cells: verdicts.map(([id, v]) => cell(id, v)),
    ...extra,
  };
}

describe('stateOf', () => {
  it('maps the verdict of a finished run, and anything unfinished to pending', () => {
    expect(stateOf({ status: 'done', verdict: 'pass' })).toBe('success');
    expect(stateOf({ status: 'done', verdict: 'blocked' })).toBe('failure');
    expect(stateOf({ status: 'done', verdict: 'incomplete' })).toBe('error');
    expect(stateOf({ status: 'running', verdict: 'blocked' })).toBe('pending');
    expect(stateOf({ status: 'done', verdict: 'cancelled' })).toBe('error');
  });
});

describe('describeRun', () => {
  it('names the regression count and the regressing cells', () => {
    const r = run([['app.sqlite', 'regression'], ['app.postgres', 'pass'], ['web.sqlite', 'regression']], { verdict: 'blocked' });
    expect(describeRun(r, 'failure')).toBe('2 regressions in 3 cells (1.1.0 vs 1.0.0): app.sqlite, web.sqlite');
  });

  it('says 0 regressions on success, with what else happened', () => {
    expect(describeRun(run([['app.sqlite', 'pass'], ['app.mysql', 'flaky'], ['web.sqlite', 'fixed']]), 'success')).toBe(
      '0 regressions in 3 cells (1.1.0 vs 1.0.0); 1 flaky, 1 fixed',
    );
    expect(describeRun(run([['app.sqlite', 'error']], { verdict: 'incomplete' }), 'error')).toBe('0 regressions in 1 cell (1.1.0 vs 1.0.0); 1 could not run');
  });

  it('says that a pass whose every cell is failing has tests failing on both sides', () => {
    const r = run([['app.sqlite', 'failing'], ['app.mysql', 'failing']]);
    for (const c of r.cells) c.candidate = c.baseline = { ...c.candidate, status: 'failed', tests: { passed: 5, failed: 2, skipped: 0 } };
    expect(describeRun(r, 'success')).toBe('pass: no new failures; 4 tests fail on both sides (2 cells, 1.1.0 vs 1.0.0); 0 regressions');
    // One passing cell: the usual wording.
    const mixed = run([['app.sqlite', 'failing'], ['app.mysql', 'pass']]);
    expect(describeRun(mixed, 'success')).toBe('0 regressions in 2 cells (1.1.0 vs 1.0.0)');
  });

  it('says a cancelled run has no verdict', () => {
    expect(describeRun(run([['app.sqlite', 'running']], { verdict: 'cancelled' }), 'error')).toBe('Cancelled before its verdict (1.1.0 vs 1.0.0); no verdict for the release');
  });

  it('names the first bad commit a bisect found, before the cell names when both do not fit', () => {
    const culprit = { sha: 'c0ffee1'.padEnd(40, '0'), subject: 'Use INSERT ... ON DUPLICATE KEY for upsert', author: 'Q', date: '2024-04-12T10:00:00Z' };
    const bisect = { status: 'found' as const, firstBad: culprit, steps: [], cellId: 'py-inventory.mysql', commits: 14, startedAt: '', finishedAt: '' };
    const r = run([['py-inventory.mysql', 'regression'], ['app.sqlite', 'pass']], { verdict: 'blocked' });
    r.cells[0].bisect = bisect;
    expect(describeRun(r, 'failure')).toBe('1 regression in 2 cells (1.1.0 vs 1.0.0): py-inventory.mysql; first bad: c0ffee1 Use INSERT ... ON DUPLICATE KEY for upsert');
    const two = run([['js-ledger.mysql', 'regression'], ['py-inventory.mysql', 'regression'], ['py-legacy.sqlite', 'pass']], { verdict: 'blocked' });
    two.cells[0].bisect = { ...bisect, cellId: 'js-ledger.mysql' };
    two.cells[1].bisect = bisect;
    const text = describeRun(two, 'failure');
    expect(text).toBe('2 regressions in 3 cells (1.1.0 vs 1.0.0); first bad: c0ffee1 Use INSERT ... ON DUPLICATE KEY for upsert');
    // An inconclusive or running bisect adds nothing.
    two.cells[0].bisect = two.cells[1].bisect = { ...bisect, status: 'inconclusive', firstBad: undefined };
    expect(describeRun(two, 'failure')).toBe('2 regressions in 3 cells (1.1.0 vs 1.0.0): js-ledger.mysql, py-inventory.mysql');
  });

  it('names each first bad commit of a bisect with several causes, with its tests\' count', () => {
    const commit = (sha: string, subject: string) => ({ sha: sha.padEnd(40, '0'), subject, author: 'Q', date: '2024-04-12T10:00:00Z' });
    const a = commit('aaaaaaa', 'RETURNING for inserts');
    const b = commit('bbbbbbb', 'Drop knex methods');
    const r = run([['orm-app.postgres', 'regression']], { verdict: 'blocked' });
    r.cells[0].bisect = { status: 'found', firstBad: a, culprits: [{ firstBad: a, tests: Array.from({ length: 12 }, (_, i) => `t${i}`) }, { firstBad: b, tests: ['knex'] }], steps: [], cellId: 'orm-app.postgres', commits: 30, startedAt: '', finishedAt: '' };
    expect(describeRun(r, 'failure')).toBe('1 regression in 1 cell (1.1.0 vs 1.0.0); first bad: aaaaaaa RETURNING for inserts (12 tests), bbbbbbb Drop knex methods (1 test)');
  });

  it('pending names what is being tested', () => {
    expect(describeRun(run([['app.sqlite', 'pending'], ['app.mysql', 'pending']], { status: 'queued' }), 'pending')).toBe('Testing 1 consumer in 2 cells: 1.1.0 vs 1.0.0');
  });

  it('fits in 140 characters however many cells regress, keeping the count', () => {
    const many = Array.from({ length: 60 }, (_, i) => [`consumer-with-a-long-name-${i}.postgres`, 'regression'] as [string, CellVerdict]);
    const text = describeRun(run(many, { verdict: 'blocked' }), 'failure');
    expect(Array.from(text).length).toBeLessThanOrEqual(DESCRIPTION_MAX);
    expect(text).toMatch(/^60 regressions in 60 cells/);
    expect(text.endsWith('…')).toBe(true);
  });

  it('truncates by characters, never splitting one', () => {
    expect(truncate('😀'.repeat(200))).toBe(`${'😀'.repeat(139)}…`);
  });
});

describe('describeRun with clusters', () => {
  const sql = "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'AS new ON DUPLICATE KEY UPDATE `qty` = new.`qty`' at line 1";
  const blocked = (extra: Partial<RunJson> = {}) =>
    run([['js-ledger.mysql', 'regression'], ['py-inventory.mysql', 'regression'], ['py-inventory.sqlite', 'pass']], {
      verdict: 'blocked',
      clusters: [{ message: sql, pattern: '', count: 9, cells: ['js-ledger.mysql', 'py-inventory.mysql'], tests: [] }],
      ...extra,
    });

  it('leads with the causes after the regression count, within 140 characters', () => {
    const text = describeRun(blocked(), 'failure');
    expect(text.startsWith('2 regressions in 3 cells (1.1.0 vs 1.0.0); 9 new failures, 1 cause: You have an error in your SQL syntax')).toBe(true);
    expect(Array.from(text).length).toBeLessThanOrEqual(DESCRIPTION_MAX);
  });

  it('keeps the first bad commit, its subject and the cells giving way first', () => {
    const bisect = { status: 'found' as const, firstBad: { sha: '8ca96f6'.padEnd(40, '0'), subject: 'Use INSERT ... ON DUPLICATE KEY for upsert', author: 'a', date: '' }, steps: [], cellId: 'js-ledger.mysql', commits: 14, startedAt: '', finishedAt: '' };
    const r = blocked();
    r.cells[0].bisect = bisect;
    const text = describeRun(r, 'failure');
    expect(text).toBe('2 regressions in 3 cells (1.1.0 vs 1.0.0); 9 new failures, 1 cause: You have an error in your SQL syntax; check the… x 9; first bad: 8ca96f6');
    expect(Array.from(text).length).toBeLessThanOrEqual(DESCRIPTION_MAX);
  });
});

describe('describeRun with schema regressions', () => {
  it('marks a cell the schema diff regressed', () => {
    const r = run([['app.mysql', 'regression'], ['app.sqlite', 'pass']], { verdict: 'blocked' });
    r.cells[0] = { ...r.cells[0], reason: 'schema differs: 1 changes', schemaChanges: [{ object: 'table users / index (email)', change: 'removed', baseline: {}, candidate: null }] };
    expect(describeRun(r, 'failure')).toBe('1 regression in 2 cells (1.1.0 vs 1.0.0): app.mysql (schema)');
  });
});
