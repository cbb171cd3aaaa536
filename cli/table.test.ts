import { describe, expect, it } from 'vitest';
import type { RunJson } from '../common/wire.js';
import { criticalPath } from '../common/timing/critical-path.js';
import { renderBisect, renderRun, timeToVerdict } from './table.js';

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

  it('says the run\'s time against its critical path when the run carries one', () => {
    const timing = criticalPath({ wallMs: 252_400, builds: { candidate: 20_000 }, sides: [{ cellId: 'app.sqlite', side: 'candidate', attempt: 0, durationMs: 100_000, testMs: 90_000, reused: false }] });
    expect(renderRun({ ...run, timing })).toContain('critical path: took 252.4s against a critical path of 120.0s (2.10x): app.sqlite, 1 attempt, build 20.0s; tests 90.0s, engine 30.0s, waiting for slots 132.4s: waited most for slots');
    expect(renderRun(run)).not.toContain('critical path');
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

  it('groups a bisect\'s first bad commits by their tests, and says on another cell where it ran and what it explains', () => {
    const commit = (sha: string, subject: string) => ({ sha: sha.padEnd(40, '0'), subject, author: 'Q', date: '2024-04-12T10:00:00Z' });
    const a = commit('aaaaaaa', 'RETURNING for inserts');
    const b = commit('bbbbbbb', 'Drop knex methods');
    const bisect = { status: 'found' as const, firstBad: a, culprits: [{ firstBad: a, tests: Array.from({ length: 12 }, (_, i) => `t${i}`) }, { firstBad: b, tests: ['knex'] }], steps: [], cellId: 'app.postgres', commits: 30, startedAt: '', finishedAt: null };
    const regressed = { ...run.cells[0], reason: undefined, verdict: 'regression' as const, newFailures: ['t0'] };
    const text = renderRun({
      ...run,
      verdict: 'blocked',
      cells: [
        { ...regressed, id: 'app.postgres', backend: 'postgres', bisect: { ...bisect, explains: { tests: 13, of: 13 } } },
        { ...regressed, id: 'app.sqlite', backend: 'sqlite', bisect: { ...bisect, explains: { tests: 1, of: 2 } } },
      ],
    });
    expect(text).toContain('first bad: aaaaaaa (12), bbbbbbb (1)');
    expect(text).toContain("(bisected on postgres; explains 1 of 2 of this cell's new failures)");
    expect(text).toContain('bisect app.postgres: first bad commits:\n  12 tests first fail at aaaaaaa: RETURNING for inserts (Q, 2024-04-12): t0, t1, t2, ...\n  1 test first fails at bbbbbbb: Drop knex methods (Q, 2024-04-12): knex');
  });

  it('compat bisect on a cell the bisect did not run on says where it ran and what it explains there', () => {
    const commit = { sha: 'aaaaaaa'.padEnd(40, '0'), subject: 'RETURNING for inserts', author: 'Q', date: '2024-04-12T10:00:00Z' };
    const bisect = { status: 'found' as const, firstBad: commit, steps: [], cellId: 'app.postgres', commits: 30, startedAt: '', finishedAt: null };
    expect(renderBisect('app.sqlite', { ...bisect, explains: { tests: 1, of: 2 } })).toContain("\n  bisected on postgres; explains 1 of 2 of this cell's new failures\n");
    expect(renderBisect('app.postgres', bisect)).not.toContain('bisected on');
  });

  it('names a registry baseline by its file, never a commit', () => {
    const registry = { registry: 'npm' as const, package: 'lib', version: '1.9.0', integrity: 'sha512-q6urq6urq6urq6urq6urq6urq6urq6urq6ur==' };
    expect(renderRun({ ...run, baselineSha: null, baselineRegistry: registry })).toContain("against npm:lib@1.9.0 (baseline: npm's published file, sha512-q6urq6urq6ur…)");
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
