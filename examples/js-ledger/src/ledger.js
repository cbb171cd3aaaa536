/**
 * A small double-entry ledger: accounts, journal entries (each posting moves an amount between two
 * accounts), daily balance snapshots and exchange rates.
 */
import { insert, select, upsert } from 'quarry';

export const SCHEMA = [
  `CREATE TABLE accounts (code VARCHAR(16) NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, currency CHAR(3) NOT NULL)`,
  `CREATE TABLE entries (id INTEGER NOT NULL PRIMARY KEY, debit VARCHAR(16) NOT NULL, credit VARCHAR(16) NOT NULL,
     amount_cents INTEGER NOT NULL, memo VARCHAR(200) NOT NULL, posted_on CHAR(10) NOT NULL)`,
  `CREATE TABLE balances (account VARCHAR(16) NOT NULL, day CHAR(10) NOT NULL, balance_cents INTEGER NOT NULL,
     PRIMARY KEY (account, day))`,
  `CREATE TABLE fx_rates (currency CHAR(3) NOT NULL PRIMARY KEY, per_eur_micros INTEGER NOT NULL, updated_on CHAR(10) NOT NULL)`,
];
const TABLES = ['fx_rates', 'balances', 'entries', 'accounts'];

export class Ledger {
  constructor(db) {
    this.db = db;
    this.dialect = db.dialect;
  }

  async createSchema() {
    for (const sql of SCHEMA) await this.db.run({ sql, params: [] });
  }

  async dropSchema() {
    for (const table of TABLES) await this.db.run({ sql: `DROP TABLE IF EXISTS ${table}`, params: [] });
  }

  async openAccount(code, name, currency = 'EUR') {
    await this.db.run(insert(this.dialect, 'accounts', { code, name, currency }));
  }

  async account(code) {
    const [row] = await this.db.all(select(this.dialect, 'accounts', { where: { code } }));
    return row ?? null;
  }

  async post({ id, debit, credit, amountCents, memo, postedOn }) {
    if (!Number.isInteger(amountCents) || amountCents <= 0) throw new RangeError('amount must be a positive number of cents');
    if (debit === credit) throw new RangeError('debit and credit accounts must differ');
    await this.db.run(insert(this.dialect, 'entries', { id, debit, credit, amount_cents: amountCents, memo, posted_on: postedOn }));
  }

  /** Entries touching an account, oldest first, as signed amounts (debit positive). */
  async statement(account) {
    const columns = ['id', 'debit', 'credit', 'amount_cents', 'memo', 'posted_on'];
    const rows = [
      ...(await this.db.all(select(this.dialect, 'entries', { columns, where: { debit: account } }))),
      ...(await this.db.all(select(this.dialect, 'entries', { columns, where: { credit: account } }))),
    ];
    return rows
      .map((r) => ({ id: Number(r.id), memo: r.memo, postedOn: r.posted_on, amountCents: (r.debit === account ? 1 : -1) * Number(r.amount_cents) }))
      .sort((a, b) => a.id - b.id);
  }

  async balanceFromJournal(account, day) {
    return (await this.statement(account)).filter((e) => e.postedOn <= day).reduce((sum, e) => sum + e.amountCents, 0);
  }

  /** Stores the day's balance of an account; a later snapshot of the same day replaces it. */
  async snapshot(account, day, balanceCents) {
    await this.db.run(upsert(this.dialect, 'balances', { account, day, balance_cents: balanceCents }, { key: ['account', 'day'] }));
  }

  /** Snapshots every account's balance for the day, from the journal. Safe to run again. */
  async closeDay(day) {
    const accounts = await this.db.all(select(this.dialect, 'accounts', { columns: ['code'], orderBy: ['code'] }));
    for (const { code } of accounts) await this.snapshot(code, day, await this.balanceFromJournal(code, day));
  }

  async snapshots(day) {
    const rows = await this.db.all(select(this.dialect, 'balances', { columns: ['account', 'balance_cents'], where: { day }, orderBy: ['account'] }));
    return Object.fromEntries(rows.map((r) => [r.account, Number(r.balance_cents)]));
  }

  async setRate(currency, perEurMicros, updatedOn) {
    await this.db.run(upsert(this.dialect, 'fx_rates', { currency, per_eur_micros: perEurMicros, updated_on: updatedOn }, { key: ['currency'] }));
  }

  async rates() {
    const rows = await this.db.all(select(this.dialect, 'fx_rates', { orderBy: ['currency'] }));
    return Object.fromEntries(rows.map((r) => [r.currency, { perEurMicros: Number(r.per_eur_micros), updatedOn: r.updated_on }]));
  }
}
