import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { insert, insertMany, select, upsert, VERSION, QuarryError } from '../src/index.js';

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(VERSION, pkg.version);
});

test('insert uses each driver placeholder style', () => {
  assert.deepEqual(insert('sqlite', 'items', { id: 1, name: 'bolt' }), {
    sql: 'INSERT INTO "items" ("id", "name") VALUES (?, ?)',
    params: [1, 'bolt'],
  });
  assert.equal(insert('mysql', 'items', { id: 1, name: 'bolt' }).sql, 'INSERT INTO `items` (`id`, `name`) VALUES (?, ?)');
  assert.equal(insert('postgres', 'items', { id: 1, name: 'bolt' }).sql, 'INSERT INTO "items" ("id", "name") VALUES ($1, $2)');
});

test('insertMany numbers placeholders across rows', () => {
  assert.deepEqual(insertMany('postgres', 'items', [{ id: 1, name: 'bolt' }, { id: 2, name: 'nut' }]), {
    sql: 'INSERT INTO "items" ("id", "name") VALUES ($1, $2), ($3, $4)',
    params: [1, 'bolt', 2, 'nut'],
  });
  assert.throws(() => insertMany('mysql', 'items', [{ id: 1 }, { name: 'nut' }]), QuarryError);
  assert.throws(() => insertMany('mysql', 'items', []), QuarryError);
});

test('select with filters, order and limit', () => {
  assert.deepEqual(select('postgres', 'items', { columns: ['id'], where: { kind: 'nut', gone: null }, orderBy: ['-size', 'id'], limit: 5 }), {
    sql: 'SELECT "id" FROM "items" WHERE "kind" = $1 AND "gone" IS NULL ORDER BY "size" DESC, "id" LIMIT 5',
    params: ['nut'],
  });
  assert.equal(select('mysql', 'items').sql, 'SELECT * FROM `items`');
});

test('upsert per dialect', () => {
  const row = { sku: 'A-1', qty: 3 };
  assert.equal(
    upsert('sqlite', 'stock', row, { key: ['sku'] }).sql,
    'INSERT INTO "stock" ("sku", "qty") VALUES (?, ?) ON CONFLICT ("sku") DO UPDATE SET "qty" = excluded."qty"',
  );
  assert.equal(
    upsert('postgres', 'stock', row, { key: ['sku'] }).sql,
    'INSERT INTO "stock" ("sku", "qty") VALUES ($1, $2) ON CONFLICT ("sku") DO UPDATE SET "qty" = excluded."qty"',
  );
  assert.equal(
    upsert('mysql', 'stock', row, { key: ['sku'] }).sql,
    'INSERT INTO `stock` (`sku`, `qty`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `qty` = VALUES(`qty`)',
  );
});

test('refuses what it cannot quote or build', () => {
  assert.throws(() => insert('sqlite', 'items; DROP TABLE x', { id: 1 }), QuarryError);
  assert.throws(() => insert('oracle', 'items', { id: 1 }), QuarryError);
  assert.throws(() => upsert('sqlite', 'items', { id: 1 }, { key: ['sku'] }), QuarryError);
  assert.throws(() => select('sqlite', 'items', { limit: -1 }), QuarryError);
});
