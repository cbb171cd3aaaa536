/** Cell verdicts with `schema:` (issue 19 item 3): the schema diff as evidence beside the tests. */
import { describe, expect, it } from 'vitest';
import type { SideStatus, TestOutcome } from '../types.js';
import { decideCell, decideRun, type AttemptPair, type SchemaRule } from '../verdict.js';
import { canonicalSchema, type RawSchema } from './document.js';

const t = (id: string, status: TestOutcome['status']): TestOutcome => ({ id, status });

/** users with email unique, or (lost) without the index. */
function schemaOf(unique: boolean, ddl?: string) {
  const raw: RawSchema = {
    backend: 'mysql',
    tables: ['users', 'knex_migrations'],
    columns: [
      { table: 'users', name: 'email', type: 'varchar(255)', nullable: false, default: null, collation: 'utf8mb4_general_ci' },
      { table: 'knex_migrations', name: 'migration_time', type: 'timestamp', nullable: true, default: unique ? 'a' : 'b', collation: null },
    ],
    primaryKeys: [],
    uniques: [],
    indexes: unique ? [{ table: 'users', name: 'users_email_unique', generatedName: false, columns: ['email'], unique: true, where: null }] : [],
    foreignKeys: [],
    checks: [],
    views: [],
    sequences: [],
    enums: [],
  };
  return { document: canonicalSchema(raw), ...(ddl === undefined ? {} : { ddl }) };
}

const side = (status: SideStatus, unique: boolean | null, extra: { tests?: TestOutcome[]; reason?: string } = {}) => ({
  status,
  tests: extra.tests ?? [t('a', 'passed')],
  ...(extra.reason ? { reason: extra.reason } : {}),
  ...(unique === null ? {} : { schema: schemaOf(unique) }),
});
const pair = (c: ReturnType<typeof side>, b: ReturnType<typeof side>): AttemptPair => ({ candidate: c, baseline: b });
const block: SchemaRule = { ignore: ['knex_migrations'], block: true };
const warn: SchemaRule = { ignore: ['knex_migrations'], block: false };

describe('cell verdicts with schema:', () => {
  it('pass when the schema is the baseline\'s (the ignored table may differ)', () => {
    expect(decideCell([pair(side('passed', true), side('passed', true))], 2, block)).toMatchObject({ verdict: 'pass', schemaChanges: [] });
  });

  it('a changed schema with passing tests asks for re-runs, then is a regression naming the changes', () => {
    const lost = pair(side('passed', false), side('passed', true));
    expect(decideCell([lost], 2, block)).toMatchObject({ verdict: 'running', rerunsWanted: 2 });
    const d = decideCell([lost, lost, lost], 2, block);
    expect(d).toMatchObject({ verdict: 'regression', reason: 'schema differs: 1 changes', newFailures: [] });
    expect(d.schemaChanges).toEqual([
      { object: 'table users / index users_email_unique', change: 'removed', baseline: { columns: ['email'], unique: true, where: null }, candidate: null },
    ]);
    expect(decideRun([d])).toBe('blocked');
  });

  it('onChange: warn shows the changes and passes', () => {
    const d = decideCell([pair(side('passed', false), side('passed', true))], 2, warn);
    expect(d.verdict).toBe('pass');
    expect(d.schemaChanges).toHaveLength(1);
  });

  it('a schema that differs once and not on the re-runs is flaky', () => {
    const d = decideCell([pair(side('passed', false), side('passed', true)), pair(side('passed', true), side('passed', true)), pair(side('passed', true), side('passed', true))], 2, block);
    expect(d.verdict).toBe('flaky');
    expect(d.schemaChanges).toHaveLength(1);
  });

  it('tests and schema both count when both differ', () => {
    const c = side('failed', false, { tests: [t('a', 'failed')] });
    const d = decideCell([pair(c, side('passed', true)), pair(c, side('passed', true)), pair(c, side('passed', true))], 2, block);
    expect(d).toMatchObject({ verdict: 'regression', newFailures: ['a'], reason: 'schema differs: 1 changes' });
  });

  it('a migrate that fails on the candidate only is a regression with its output', () => {
    const c = side('failed', null, { tests: [], reason: 'migrate failed (exit 203): duplicate key' });
    const d = decideCell([pair(c, side('passed', true)), pair(c, side('passed', true)), pair(c, side('passed', true))], 2, block);
    expect(d).toMatchObject({ verdict: 'regression', reason: 'migrate failed (exit 203): duplicate key', schemaChanges: [] });
  });

  it('a consumer without tests has its schema as evidence: no "baseline passed no test"', () => {
    const none = { tests: [] };
    expect(decideCell([pair(side('passed', true, none), side('passed', true, none))], 2, block)).toMatchObject({ verdict: 'pass' });
    const lost = pair(side('passed', false, none), side('passed', true, none));
    expect(decideCell([lost, lost, lost], 2, block)).toMatchObject({ verdict: 'regression', reason: 'schema differs: 1 changes' });
  });

  it('sql: output differing counts as one change, whitespace aside', () => {
    const withDdl = (unique: boolean, ddl: string) => ({ status: 'passed' as const, tests: [t('a', 'passed')], schema: schemaOf(unique, ddl) });
    expect(decideCell([pair(withDdl(true, 'CREATE TABLE u (e text UNIQUE);'), withDdl(true, 'CREATE TABLE u (\n e text UNIQUE\n);'))], 2, block).verdict).toBe('pass');
    const d = decideCell([pair(withDdl(true, 'CREATE TABLE u (e text);'), withDdl(true, 'CREATE TABLE u (e text UNIQUE);'))], 0, block);
    expect(d).toMatchObject({ verdict: 'regression', reason: 'schema differs: 1 changes' });
    expect(d.schemaChanges[0].object).toBe('ddl (sql: output)');
  });
});

describe('cell verdicts with a round trip (downgrade:)', () => {
  const lostOnTheWay = [{ object: 'table users / index users_email_unique', change: 'removed' as const, baseline: { unique: true }, candidate: null }];
  const withTrip = (roundTrip: typeof lostOnTheWay | []) => ({ status: 'passed' as const, tests: [t('a', 'passed')], schema: { ...schemaOf(true), roundTrip } });

  it('a round trip that holds on the baseline and breaks on the candidate is a regression named as such', () => {
    const p = pair(withTrip(lostOnTheWay), withTrip([]));
    const d = decideCell([p, p, p], 2, block);
    expect(d).toMatchObject({ verdict: 'regression', reason: 'round trip breaks: 1 changes' });
    expect(d.schemaChanges.map((c) => c.object)).toEqual(['round trip / table users / index users_email_unique']);
  });

  it('a round trip broken on both sides is nothing new; a downgrade failing on the candidate only regresses with its output', () => {
    expect(decideCell([pair(withTrip(lostOnTheWay), withTrip(lostOnTheWay))], 2, block).verdict).toBe('pass');
    const c = { status: 'failed' as const, tests: [], reason: 'round trip failed: downgrade then migrate (exit 204): no such table' };
    const d = decideCell([pair(c, withTrip([])), pair(c, withTrip([])), pair(c, withTrip([]))], 2, block);
    expect(d).toMatchObject({ verdict: 'regression', reason: 'round trip failed: downgrade then migrate (exit 204): no such table' });
  });
});
