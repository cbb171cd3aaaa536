import { describe, expect, it } from 'vitest';
import { loginSetupSql, sqlLiteral } from './setup-sql.js';

describe('sqlLiteral', () => {
  it('PostgreSQL: doubles quotes and leaves backslashes alone (standard_conforming_strings)', () => {
    expect(sqlLiteral('postgres', String.raw`a\b'c`)).toBe(String.raw`'a\b''c'`);
  });
  it('MariaDB: doubles backslashes and quotes, so a trailing backslash cannot escape the closing quote', () => {
    expect(sqlLiteral('mysql', "a\\b'c\\")).toBe("'a\\\\b''c\\\\'");
  });
});

describe('loginSetupSql', () => {
  it('uses the dialect\'s literal for the password', () => {
    const fixed = { database: 'legacy_test', user: 'legacy', password: String.raw`p\w'd` };
    expect(loginSetupSql('postgres', fixed)).toEqual([String.raw`CREATE USER legacy PASSWORD 'p\w''d'`, 'CREATE DATABASE legacy_test OWNER legacy']);
    expect(loginSetupSql('mysql', fixed)).toContain(String.raw`CREATE USER 'legacy'@'%' IDENTIFIED BY 'p\\w''d';`);
  });
});
