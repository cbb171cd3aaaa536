import { describe, expect, it } from 'vitest';
import { cellIdOf, cellKey, databaseImageOf, parseCellId } from './cell.js';

describe('cell keys', () => {
  it('round-trips through the id, a consumer name with dots included', () => {
    for (const key of [cellKey('app', 'sqlite'), cellKey('my.app', 'postgres')]) expect(parseCellId(cellIdOf(key))).toEqual(key);
    expect(cellIdOf(cellKey('app', 'mysql'))).toBe('app.mysql');
  });

  it('refuses a string that is no cell id', () => {
    for (const id of ['app', 'app.oracle', '.sqlite', '']) expect(() => parseCellId(id)).toThrow(/not a cell id/);
  });

  it('names the database image of a backend, none for sqlite', () => {
    const databases = { postgres: { image: 'pg:15' }, mysql: { image: 'maria:10' } };
    expect(databaseImageOf(databases, cellKey('app', 'postgres'))).toBe('pg:15');
    expect(databaseImageOf(databases, cellKey('app', 'sqlite'))).toBe('');
  });
});
