import { describe, expect, it } from 'vitest';
import { loginSetupSql, loginUrl, sqlLiteral } from './setup-sql.js';

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

describe('a fixed connection user', () => {
  it('has the password it is given, or none', () => {
    expect(loginSetupSql('postgres', { database: 'app', user: 'u' })).toEqual(['CREATE USER u', 'CREATE DATABASE app OWNER u']);
    expect(loginSetupSql('mysql', { database: 'app', user: 'u' }).join(' ')).not.toMatch(/IDENTIFIED/);
    expect(loginSetupSql('mysql', { database: 'app', user: 'u', password: 'pw' })).toContain(`CREATE USER 'u'@'%' IDENTIFIED BY 'pw';`);
    expect(loginUrl('postgres', { database: 'app', user: 'u' })).toBe('postgresql://u@127.0.0.1:5432/app');
  });

  it('is a superuser only when asked', () => {
    expect(loginSetupSql('postgres', { database: 'app', user: 'u', superuser: true })[0]).toBe('CREATE USER u SUPERUSER');
    expect(loginSetupSql('mysql', { database: 'app', user: 'u', superuser: true })).toContain(`GRANT ALL ON *.* TO 'u'@'%' WITH GRANT OPTION;`);
    expect(loginSetupSql('mysql', { database: 'app', user: 'u' })).toContain(`GRANT ALL ON app.* TO 'u'@'%';`);
  });
});
