import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clusterFailures, clustersLine, shownClusters, type NewFailure } from './cluster.js';

type Fixture = Array<{ id: string; message: string }>;
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Fixture;

/** js-ledger v0.3.0 on quarry v1.1.0, MariaDB: mysql2's message is the server's, the stack mysql2's and the suite's. */
function jsLedgerMysql(): NewFailure[] {
  const near = (columns: string[]) => columns.map((c) => `\`${c}\` = new.\`${c}\``).join(', ');
  const failure = (test: string, columns: string[], line: number) => ({
    cell: 'js-ledger.mysql',
    test,
    message: [
      `You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'AS new ON DUPLICATE KEY UPDATE ${near(columns)}' at line 1`,
      `Error: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'AS new ON DUPLICATE KEY UPDATE ${near(columns)}' at line 1`,
      '    at PromiseConnection.query (/workspace/node_modules/mysql2/lib/promise/connection.js:29:22)',
      '    at Object.run (file:///workspace/src/db.js:20:20)',
      `    at Ledger.snapshot (file:///workspace/src/ledger.js:${line}:19)`,
    ].join('\n'),
  });
  return [
    failure('ledger balance snapshots (upsert)::records the first snapshot of a day', ['balance_cents'], 64),
    failure('ledger balance snapshots (upsert)::replaces a snapshot of the same day', ['balance_cents'], 64),
    failure('ledger balance snapshots (upsert)::closes a day from the journal, and again after a late entry', ['balance_cents'], 64),
    failure('ledger exchange rates (upsert)::updates a rate in place', ['per_eur_micros', 'updated_on'], 79),
  ];
}

const pyInventoryMysql = (): NewFailure[] => fixture('py-inventory-2.4.0-on-quarry-1.1.0.mysql.json').map((t) => ({ cell: 'py-inventory.mysql', test: t.id, message: t.message }));

describe('clusterFailures', () => {
  it("makes the example's 9 MySQL upsert failures one cause, across two consumers and two drivers", () => {
    const clusters = clusterFailures([...pyInventoryMysql(), ...jsLedgerMysql()], ['quarry']);
    expect(clusters).toHaveLength(1);
    const [cluster] = clusters;
    expect(cluster.count).toBe(9);
    expect(cluster.cells).toEqual(['js-ledger.mysql', 'py-inventory.mysql']);
    expect(cluster.tests).toHaveLength(9);
    expect(cluster.pattern).toBe("You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '…' at line N");
    // The words shown are a real failure's first line: the first in cell and test order.
    expect(cluster.message).toMatch(/^You have an error in your SQL syntax.*near 'AS new ON DUPLICATE KEY UPDATE `balance_cents`/);
    expect(cluster.frame).toBeUndefined();
    expect(clustersLine(clusters, { messageMax: 60 })).toBe('9 new failures, 1 cause: You have an error in your SQL syntax; check the manual that… x 9 in js-ledger.mysql, py-inventory.mysql');
  });

  it("makes SQLModel 0.0.6's 11 failures on SQLAlchemy 1.4.36 the three causes a reader names", () => {
    const failures = fixture('sqlmodel-0.0.6-on-sqlalchemy-1.4.36.json').map((t) => ({ cell: 'sqlmodel.sqlite', test: t.id, message: t.message }));
    expect(failures).toHaveLength(11);
    const clusters = clusterFailures(failures, ['sqlalchemy']);
    expect(clusters.map((c) => [c.pattern.slice(0, 40), c.count, c.frame])).toEqual([
      // The relationship attributes gone: hero.team, hero.teams, team.heroes.
      ["'…' object has no attribute '…'", 9, undefined],
      // The printed heroes without their team.
      ["assert [['…', ...}]] == [['…', ...}]]", 1, undefined],
      // The many-to-many link model's flush, inside SQLAlchemy's unit of work.
      ['Instance <HeroTeamLink at <addr>> has a ', 1, 'sqlalchemy/orm/unitofwork.py in finalize_flush_changes'],
    ]);
    expect(clusters[0].tests.filter((t) => t.includes('test_relationship_attributes')).length).toBe(5);
    expect(clusters[0].tests.filter((t) => t.includes('test_many_to_many')).length).toBe(2);
    expect(clusters[0].tests.filter((t) => t.includes('test_code_structure')).length).toBe(2);
  });

  it('keeps one message with frames in two places of the library two causes, and is the same in any input order', () => {
    const at = (fn: string) => `TypeError: x is not a function\n    at ${fn} (/w/node_modules/quarry/src/index.js:1:1)`;
    const failures: NewFailure[] = [
      { cell: 'b.sqlite', test: 't1', message: at('upsert') },
      { cell: 'a.sqlite', test: 't2', message: at('insert') },
      { cell: 'a.sqlite', test: 't3', message: at('upsert') },
      { cell: 'a.sqlite', test: 't4' },
    ];
    const clusters = clusterFailures(failures, ['quarry']);
    expect(clusters.map((c) => [c.frame, c.count, c.cells])).toEqual([
      ['quarry/src/index.js in upsert', 2, ['a.sqlite', 'b.sqlite']],
      [undefined, 1, ['a.sqlite']],
      ['quarry/src/index.js in insert', 1, ['a.sqlite']],
    ]);
    expect(clusterFailures([...failures].reverse(), ['quarry'])).toEqual(clusters);
  });

  it('says nothing when there are no new failures, and cuts a long line', () => {
    expect(clustersLine([])).toBeNull();
    const many = Array.from({ length: 5 }, (_, i) => ({ message: `cause ${i}`, pattern: '', count: 5 - i, cells: ['a.sqlite', 'b.sqlite', 'c.sqlite', 'd.sqlite'], tests: [] }));
    const line = clustersLine(many, { shown: 2, maxLength: 100 })!;
    expect(line.startsWith('15 new failures, 5 causes: cause 0 x 5 in a.sqlite, b.sqlite, c.sqlite (+1); cause 1 x 4')).toBe(true);
    expect(line.length).toBe(100);
  });
});

describe('shownClusters', () => {
  // A hostile suite: 3,000 failures of 1,500 distinct causes in one cell, and one cause of 200 tests.
  const failures: NewFailure[] = [
    ...Array.from({ length: 1500 }, (_, i) => ({ cell: 'app.sqlite', test: `t${i}`, message: `E: ${'x'.repeat(i % 7)}${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26) % 26)}${String.fromCharCode(97 + Math.floor(i / 676))} ${'y'.repeat(2000)}` })),
    ...Array.from({ length: 200 }, (_, i) => ({ cell: `c${i % 60}.mysql`, test: `u${i}`, message: 'boom' })),
  ];
  const all = clusterFailures(failures);

  it('keeps the largest causes, each with its first tests and cells, and the totals of what it cut', () => {
    const { clusters, clustersTotal } = shownClusters(all, 50);
    expect(clusters).toHaveLength(50);
    expect(clustersTotal).toEqual({ causes: all.length, failures: 1700 });
    expect(clusters[0]).toMatchObject({ message: 'boom', count: 200, testsTotal: 200, cellsTotal: 60 });
    expect(clusters[0].tests).toHaveLength(50);
    expect(clusters[0].cells).toHaveLength(50);
    expect(Math.max(...clusters.map((c) => c.message.length))).toBeLessThanOrEqual(500);
    expect(JSON.stringify(clusters).length).toBeLessThan(100_000);
    // The line a status description leads with counts them all.
    expect(clustersLine(clusters, { shown: 1, totals: clustersTotal })).toMatch(/^1700 new failures, \d+ causes: boom x 200 in c0\.mysql, c1\.mysql, c10\.mysql \(\+57\); \+\d+ more$/);
  });

  it('leaves an ordinary run\'s clusters as they are', () => {
    const small = clusterFailures(failures.slice(1500, 1510));
    expect(shownClusters(small, 50)).toEqual({ clusters: small });
  });
});
