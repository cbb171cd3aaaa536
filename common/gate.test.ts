import { describe, expect, it } from 'vitest';
import type { RunJson } from './types.js';
import { allFailingNote, gateOf, gateRuns } from './verdict.js';

function run(id: string, cells: Array<[string, string]>): RunJson {
  return {
    id,
    cells: cells.map(([cellId, verdict]) => ({ id: cellId, consumer: cellId.split('.')[0], backend: cellId.split('.')[1], verdict, newFailures: verdict === 'regression' ? ['t::x'] : [] })),
  } as unknown as RunJson;
}

describe('gate', () => {
  it('blocks on a regression, waits on a cell in progress, is incomplete on an error, else passes', () => {
    expect(gateOf([run('r1', [['a.mysql', 'regression'], ['a.sqlite', 'running']])]).state).toBe('blocked');
    expect(gateOf([run('r1', [['a.mysql', 'pass'], ['a.sqlite', 'running']])]).state).toBe('pending');
    expect(gateOf([run('r1', [['a.mysql', 'error'], ['a.sqlite', 'flaky']])]).state).toBe('incomplete');
    expect(gateOf([run('r1', [['a.mysql', 'fixed'], ['a.sqlite', 'failing']])])).toEqual({
      state: 'pass',
      runId: 'r1',
      regressions: [],
      cells: [
        { cell: 'a.mysql', verdict: 'fixed', runId: 'r1' },
        { cell: 'a.sqlite', verdict: 'failing', runId: 'r1' },
      ],
    });
  });

  it('is incomplete, never pass, when a cell gave no evidence (its baseline passed no test)', () => {
    const noEvidence = run('r1', [['a.sqlite', 'failing'], ['b.sqlite', 'pass']]);
    noEvidence.cells[0].reason = 'baseline passed no test';
    expect(gateOf([noEvidence]).state).toBe('incomplete');
    // Fixed (or removed) in a newer run of that cell: the gate passes again.
    expect(gateOf([run('r2', [['a.sqlite', 'pass']]), noEvidence]).state).toBe('pass');
  });

  it('lets a newer partial run settle only the cells it ran', () => {
    const full = run('r1', [['a.mysql', 'regression'], ['b.mysql', 'regression'], ['a.sqlite', 'pass']]);
    const rerunA = run('r2', [['a.mysql', 'pass']]);
    const gate = gateOf([rerunA, full]);
    expect(gate).toMatchObject({ state: 'blocked', runId: 'r2', regressions: [{ cell: 'b.mysql', newFailures: ['t::x'] }] });
    expect(gateOf([run('r3', [['b.mysql', 'flaky']]), rerunA, full]).state).toBe('pass');
  });
});

describe('gate: whose runs decide it', () => {
  const own = (id: string, cells: Array<[string, string]>) => ({ ...run(id, cells), ownBaseline: true });
  const other = (id: string, cells: Array<[string, string]>) => ({ ...run(id, cells), ownBaseline: false });

  it('counts only runs against the version\'s own baseline', () => {
    // The run: `--baseline v1.1.0 --consumer js-ledger --backend mysql` makes the cell failing.
    const full = own('r1', [['js-ledger.mysql', 'regression'], ['js-ledger.postgres', 'pass']]);
    const againstItself = other('r2', [['js-ledger.mysql', 'failing']]);
    const gate = gateOf([againstItself, full]);
    expect(gate).toMatchObject({ state: 'blocked', runId: 'r1', regressions: [{ cell: 'js-ledger.mysql', runId: 'r1' }] });
    expect(gate.cells).toEqual([
      { cell: 'js-ledger.mysql', verdict: 'regression', runId: 'r1' },
      { cell: 'js-ledger.postgres', verdict: 'pass', runId: 'r1' },
    ]);
    // Only other baselines: nothing decides.
    expect(gateOf([againstItself])).toEqual({ state: 'pending', runId: null, regressions: [], cells: [] });
  });

  it('a partial run against the own baseline settles the cells it ran, and is named for them', () => {
    const full = own('r1', [['a.mysql', 'regression'], ['b.mysql', 'regression']]);
    const rerunA = own('r2', [['a.mysql', 'pass']]);
    const rerunBElsewhere = other('r3', [['b.mysql', 'pass']]);
    const gate = gateOf([rerunBElsewhere, rerunA, full]);
    expect(gate).toMatchObject({ state: 'blocked', runId: 'r2', regressions: [{ cell: 'b.mysql', runId: 'r1' }] });
    expect(gate.cells).toEqual([
      { cell: 'a.mysql', verdict: 'pass', runId: 'r2' },
      { cell: 'b.mysql', verdict: 'regression', runId: 'r1' },
    ]);
  });

  it('treats a cancelled run as no run: it decides no cell, and alone leaves no gate', () => {
    const full = run('r1', [['a.sqlite', 'pass'], ['b.sqlite', 'pass']]);
    const cancelled = { ...run('r2', [['a.sqlite', 'regression'], ['b.sqlite', 'running']]), verdict: 'cancelled' as const };
    expect(gateRuns([cancelled, full]).map((r) => r.id)).toEqual(['r1']);
    expect(gateOf([cancelled, full])).toEqual({
      state: 'pass',
      runId: 'r1',
      regressions: [],
      cells: [
        { cell: 'a.sqlite', verdict: 'pass', runId: 'r1' },
        { cell: 'b.sqlite', verdict: 'pass', runId: 'r1' },
      ],
    });
    expect(gateOf([cancelled])).toEqual({ state: 'pending', runId: null, regressions: [], cells: [] });
  });
});

describe('allFailingNote', () => {
  const side = (failed: number) => ({ tests: { passed: 3, failed, skipped: 0 } });
  const failingRun = (verdict: 'pass' | 'blocked', cells: Array<[string, number]>) =>
    ({ verdict, cells: cells.map(([v, failed]) => ({ verdict: v, candidate: side(failed), baseline: side(failed) })) }) as unknown as RunJson;

  it('says a pass whose every cell fails on both sides is no green, counting the tests', () => {
    expect(allFailingNote(failingRun('pass', [['failing', 2], ['failing', 3]]))).toBe('pass: no new failures; 5 tests fail on both sides');
    expect(allFailingNote(failingRun('pass', [['failing', 1]]))).toBe('pass: no new failures; 1 test fails on both sides');
  });

  it('says nothing when any cell is not failing, or the run did not pass', () => {
    expect(allFailingNote(failingRun('pass', [['failing', 2], ['pass', 0]]))).toBeNull();
    expect(allFailingNote(failingRun('blocked', [['failing', 2]]))).toBeNull();
    expect(allFailingNote(failingRun('pass', []))).toBeNull();
  });
});
