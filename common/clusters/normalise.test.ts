import { describe, expect, it } from 'vitest';
import { causeOf, firstLine, normaliseLine } from './normalise.js';

describe('normaliseLine', () => {
  it('takes out numbers, ids, paths, addresses and quoted values, and the leading exception type', () => {
    expect(normaliseLine("AttributeError: 'Hero' object has no attribute 'team'")).toBe("'…' object has no attribute '…'");
    expect(normaliseLine('Instance <HeroTeamLink at 0x7fc7e1dce250> has a NULL identity key')).toBe('Instance <HeroTeamLink at <addr>> has a NULL identity key');
    expect(normaliseLine('connect ECONNREFUSED 10.0.3.7:5432')).toBe('connect ECONNREFUSED <addr>');
    expect(normaliseLine('Error: ENOENT: no such file or directory, open /tmp/run-42/junit.xml')).toBe('ENOENT: no such file or directory, open <path>');
    expect(normaliseLine('row 3a9f0c2e-1b2c-4d5e-8f90-123456789abc not found after 1500ms (commit 8ca96f6e1b)')).toBe('row <id> not found after N (commit <id>)');
    expect(normaliseLine('could not reach postgresql://u:pw@db:5432/x in 30 s')).toBe('could not reach <url> in N s');
    expect(normaliseLine('expected 3 rows, got 2')).toBe('expected N rows, got N');
  });

  it('reads a DB-API driver error tuple as its message, so one server error reads the same from every driver', () => {
    const py = 'pymysql.err.ProgrammingError: (1064, "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near \'AS new ON DUPLICATE KEY UPDATE qty = new.qty\' at line 1")';
    const js = "Error: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'AS new ON DUPLICATE KEY UPDATE balance_cents = new.balance_cents' at line 1";
    expect(normaliseLine(py)).toBe(normaliseLine(js));
    expect(normaliseLine(js)).toBe("You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '…' at line N");
  });

  it('keeps a bare exception type and what differs in words', () => {
    expect(normaliseLine('AssertionError')).toBe('AssertionError');
    expect(normaliseLine("KeyError: 'x'")).not.toBe(normaliseLine("IndexError: list index out of range"));
  });
});

describe('firstLine', () => {
  it('is the first non-empty line, trimmed and capped', () => {
    expect(firstLine('\n  \n  boom  \nat x')).toBe('boom');
    expect(firstLine('x'.repeat(1000)).length).toBe(300);
    expect(firstLine('')).toBe('');
  });
});

describe('causeOf', () => {
  it("adds the innermost Python frame inside the library, without its line number", () => {
    const trace = [
      'sqlalchemy.orm.exc.FlushError: Instance <Link at 0x7f00> has a NULL identity key.',
      'tests/test_x.py:12: in test_tutorial',
      '    main()',
      '/tmp/venv/lib/python3.11/site-packages/sqlalchemy/orm/session.py:3298: in flush',
      '    self._flush(objects)',
      '/tmp/venv/lib/python3.11/site-packages/sqlalchemy/orm/unitofwork.py:480: in finalize_flush_changes',
      '    self.session._register_persistent(other)',
      'E   sqlalchemy.orm.exc.FlushError: Instance <Link at 0x7f00> has a NULL identity key.',
    ].join('\n');
    expect(causeOf(trace, ['sqlalchemy'])).toEqual({
      line: 'sqlalchemy.orm.exc.FlushError: Instance <Link at 0x7f00> has a NULL identity key.',
      pattern: 'Instance <Link at <addr>> has a NULL identity key.',
      frame: 'sqlalchemy/orm/unitofwork.py in finalize_flush_changes',
    });
    // Another library's frames are not the library's.
    expect(causeOf(trace, ['quarry']).frame).toBeUndefined();
  });

  it('reads Python tracebacks and Node stacks (innermost first there)', () => {
    const py = 'ValueError: bad\nTraceback (most recent call last):\n  File "/app/x.py", line 3, in main\n  File "/venv/site-packages/quarry/statements.py", line 120, in upsert\n  File "/venv/site-packages/quarry/dialects.py", line 9, in quote\n';
    expect(causeOf(py, ['quarry']).frame).toBe('quarry/dialects.py in quote');
    const js = 'TypeError: x is not a function\n    at quote (/w/node_modules/quarry/src/dialects.js:9:3)\n    at upsert (file:///w/node_modules/quarry/src/statements.js:120:10)\n    at Ledger.snapshot (/w/src/ledger.js:64:5)';
    expect(causeOf(js, ['quarry']).frame).toBe('quarry/src/dialects.js in quote');
    expect(causeOf('TypeError: x\n    at /w/node_modules/@scope/my-lib/index.js:1:2', ['@scope/my-lib']).frame).toBe('my-lib/index.js');
  });

  it('has a pattern for a failure without a message', () => {
    expect(causeOf(undefined).pattern).toBe('(no message)');
  });
});
