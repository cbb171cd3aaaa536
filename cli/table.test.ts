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

describe('the clusters above the table', () => {
  it('leads the report with the causes, largest first, each with its cells and tests', () => {
    const clustered: RunJson = {
      ...run,
      clusters: [
        { message: "You have an error in your SQL syntax; ... near 'AS new ON DUPLICATE KEY UPDATE `qty` = new.`qty`' at line 1", pattern: '', count: 9, cells: ['js-ledger.mysql', 'py-inventory.mysql'], tests: ['a', 'b', 'c', 'd'] },
        { message: 'sqlalchemy.orm.exc.FlushError: Instance <L at 0x1> has a NULL identity key.', pattern: '', frame: 'sqlalchemy/orm/unitofwork.py in finalize_flush_changes', count: 1, cells: ['sqlmodel.sqlite'], tests: ['t'] },
      ],
    };
    const lines = renderRun(clustered).split('\n');
    expect(lines.slice(1, 7)).toEqual([
      '10 new failures, 2 causes:',
      "  9 x You have an error in your SQL syntax; ... near 'AS new ON DUPLICATE KEY UPDATE `qty` = new.`qty`' at line 1",
      '      in js-ledger.mysql, py-inventory.mysql: a, b, c (+1 more)',
      '  1 x sqlalchemy.orm.exc.FlushError: Instance <L at 0x1> has a NULL identity key.',
      '      at sqlalchemy/orm/unitofwork.py in finalize_flush_changes',
      '      in sqlmodel.sqlite: t',
    ]);
    expect(renderRun(run)).not.toMatch(/new failures?, /);
  });
});

describe('quarantined tests in the table', () => {
  it('names them with their reason in the new failures column', () => {
    const cell = { ...run.cells[0], reason: undefined, verdict: 'pass' as const, quarantined: [{ test: 'app::flappy', reason: 'races the clock', until: '2030-01-01T00:00:00.000Z', by: 'ci' }] };
    expect(renderRun({ ...run, cells: [cell] })).toMatch(/quarantined: app::flappy \(races the clock\)/);
  });
});
