import { describe, expect, it } from 'vitest';
import type { RunJson } from '../common/wire.js';
import { renderRun, timeToVerdict } from './table.js';

const side = { status: 'failed' as const, source: 'tag' as const, durationMs: 1000, tests: { passed: 0, failed: 0, skipped: 0 } };
const run: RunJson = {
  id: 'r1',
  library: 'lib',
  candidate: 'v2.0.0',
  baseline: 'npm:lib@1.9.0',
  candidateVersion: '2.0.0',
  baselineVersion: '1.9.0',
  candidateSha: 'a'.repeat(40),
  baselineSha: 'b'.repeat(40),
  status: 'done',
  verdict: 'incomplete',
  trigger: 'cli',
  createdAt: '2026-01-01T10:00:00.000Z',
  finishedAt: '2026-01-01T10:04:12.400Z',
  cells: [
    { id: 'app.sqlite', consumer: 'app', backend: 'sqlite', verdict: 'failing', reason: 'baseline passed no test', candidate: side, baseline: side, newFailures: [], fixedTests: [], attempts: 1 },
  ],
};

describe('the verdict table', () => {
  it('closes with the time to verdict, once the run is done', () => {
    expect(timeToVerdict(run)).toBe('4 min 12 s');
    expect(timeToVerdict({ createdAt: run.createdAt, finishedAt: '2026-01-01T10:00:09.000Z' })).toBe('9 s');
    expect(renderRun(run)).toContain('time to verdict: 4 min 12 s');
    expect(renderRun({ ...run, status: 'running', finishedAt: null })).not.toContain('time to verdict');
  });

  it('says why a failing cell is no evidence', () => {
    expect(renderRun(run)).toContain('(baseline passed no test)');
  });

  it('says that a pass whose every cell is failing has tests failing on both sides, and that a cancelled run has no verdict', () => {
    const failing = { ...side, tests: { passed: 4, failed: 3, skipped: 0 } };
    const allFailing: RunJson = { ...run, verdict: 'pass', cells: [{ ...run.cells[0], reason: undefined, candidate: failing, baseline: failing }] };
    expect(renderRun(allFailing)).toContain('verdict: PASS (pass: no new failures; 3 tests fail on both sides)');
    expect(renderRun({ ...run, verdict: 'cancelled' })).toContain('verdict: CANCELLED (cancelled before its verdict: the gate treats it as no run)');
  });
});

describe('the verdict table with schema changes', () => {
  it('names the first schema changes of a cell under its new failures', () => {
    const passed = { ...side, status: 'passed' as const, tests: { passed: 5, failed: 0, skipped: 0 } };
    const change = (object: string) => ({ object, change: 'removed' as const, baseline: { unique: true }, candidate: null });
    const cell = { ...run.cells[0], id: 'app.mysql', backend: 'mysql' as const, verdict: 'regression' as const, reason: 'schema differs: 3 changes', candidate: passed, baseline: passed };
    const text = renderRun({ ...run, verdict: 'blocked', cells: [{ ...cell, schemaChanges: [change('table users / index (email)'), change('table a / index x'), change('table b / index y')] }] });
    expect(text).toContain('schema removed: table users / index (email)');
    expect(text).toContain('(+1 more schema changes)');
    expect(text).not.toContain('table b / index y');
  });
});
