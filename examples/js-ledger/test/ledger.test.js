import assert from 'node:assert/strict';
import { insert } from 'quarry';
import { connect } from '../src/db.js';
import { Ledger } from '../src/ledger.js';

describe('ledger', function () {
  let db;
  let ledger;

  before(async function () {
    db = await connect();
    ledger = new Ledger(db);
  });

  beforeEach(async function () {
    await ledger.dropSchema();
    await ledger.createSchema();
  });

  after(async function () {
    if (!db) return;
    await ledger.dropSchema();
    await db.close();
  });

  describe('accounts', function () {
    it('uses the placeholders of the driver', function () {
      const { sql, params } = insert(db.dialect, 'accounts', { code: 'cash', name: 'Cash' });
      assert.match(sql, db.dialect === 'postgres' ? /VALUES \(\$1, \$2\)$/ : /VALUES \(\?, \?\)$/);
      assert.deepEqual(params, ['cash', 'Cash']);
    });

    it('opens an account and reads it back', async function () {
      await ledger.openAccount('cash', 'Cash in hand');
      assert.deepEqual(await ledger.account('cash'), { code: 'cash', name: 'Cash in hand', currency: 'EUR' });
      assert.equal(await ledger.account('bank'), null);
    });

    it('refuses a second account with the same code', async function () {
      await ledger.openAccount('cash', 'Cash in hand');
      await assert.rejects(ledger.openAccount('cash', 'Petty cash'), /duplicate/i);
    });
  });

  describe('journal', function () {
    it('gives an account statement in posting order, with signed amounts', async function () {
      await ledger.openAccount('cash', 'Cash');
      await ledger.openAccount('sales', 'Sales');
      await ledger.post({ id: 2, debit: 'sales', credit: 'cash', amountCents: 300, memo: 'refund', postedOn: '2024-04-02' });
      await ledger.post({ id: 1, debit: 'cash', credit: 'sales', amountCents: 1000, memo: 'sale', postedOn: '2024-04-01' });
      assert.deepEqual(
        (await ledger.statement('cash')).map((e) => [e.id, e.amountCents]),
        [[1, 1000], [2, -300]],
      );
      assert.equal(await ledger.balanceFromJournal('cash', '2024-04-01'), 1000);
      assert.equal(await ledger.balanceFromJournal('cash', '2024-04-30'), 700);
    });

    it('refuses an entry that moves nothing', async function () {
      await assert.rejects(ledger.post({ id: 1, debit: 'cash', credit: 'cash', amountCents: 5, memo: 'x', postedOn: '2024-04-01' }), RangeError);
      await assert.rejects(ledger.post({ id: 1, debit: 'cash', credit: 'sales', amountCents: 0, memo: 'x', postedOn: '2024-04-01' }), RangeError);
    });
  });

  describe('balance snapshots (upsert)', function () {
    it('records the first snapshot of a day', async function () {
      await ledger.openAccount('cash', 'Cash');
      await ledger.snapshot('cash', '2024-04-01', 1000);
      assert.deepEqual(await ledger.snapshots('2024-04-01'), { cash: 1000 });
    });

    it('replaces a snapshot of the same day', async function () {
      await ledger.openAccount('cash', 'Cash');
      await ledger.snapshot('cash', '2024-04-01', 1000);
      await ledger.snapshot('cash', '2024-04-01', 1250);
      await ledger.snapshot('cash', '2024-04-02', 1300);
      assert.deepEqual(await ledger.snapshots('2024-04-01'), { cash: 1250 });
      assert.deepEqual(await ledger.snapshots('2024-04-02'), { cash: 1300 });
    });

    it('closes a day from the journal, and again after a late entry', async function () {
      await ledger.openAccount('cash', 'Cash');
      await ledger.openAccount('sales', 'Sales');
      await ledger.post({ id: 1, debit: 'cash', credit: 'sales', amountCents: 1000, memo: 'sale', postedOn: '2024-04-01' });
      await ledger.closeDay('2024-04-01');
      await ledger.post({ id: 2, debit: 'cash', credit: 'sales', amountCents: 250, memo: 'late sale', postedOn: '2024-04-01' });
      await ledger.closeDay('2024-04-01');
      assert.deepEqual(await ledger.snapshots('2024-04-01'), { cash: 1250, sales: -1250 });
    });
  });

  describe('exchange rates (upsert)', function () {
    it('updates a rate in place', async function () {
      await ledger.setRate('USD', 1_081_200, '2024-04-01');
      await ledger.setRate('GBP', 856_100, '2024-04-01');
      await ledger.setRate('USD', 1_079_900, '2024-04-02');
      assert.deepEqual(await ledger.rates(), {
        GBP: { perEurMicros: 856_100, updatedOn: '2024-04-01' },
        USD: { perEurMicros: 1_079_900, updatedOn: '2024-04-02' },
      });
    });
  });
});
