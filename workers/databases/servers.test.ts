import { describe, expect, it } from 'vitest';
import { fixedUserSql } from './servers.js';

describe('a fixed connection user', () => {
  it('has the password it is given, or none', () => {
    expect(fixedUserSql('postgres', { database: 'app', user: 'u', password: "it's" })).toEqual([`CREATE USER u PASSWORD 'it''s'`, 'CREATE DATABASE app OWNER u']);
    expect(fixedUserSql('postgres', { database: 'app', user: 'u' })).toEqual(['CREATE USER u', 'CREATE DATABASE app OWNER u']);
    expect(fixedUserSql('mysql', { database: 'app', user: 'u' })).not.toMatch(/IDENTIFIED/);
    expect(fixedUserSql('mysql', { database: 'app', user: 'u', password: 'pw' })).toMatch(/CREATE USER 'u'@'%' IDENTIFIED BY 'pw';/);
  });

  it('is a superuser only when asked', () => {
    expect(fixedUserSql('postgres', { database: 'app', user: 'u', superuser: true })[0]).toBe('CREATE USER u SUPERUSER');
    expect(fixedUserSql('mysql', { database: 'app', user: 'u', superuser: true })).toMatch(/GRANT ALL ON \*\.\* TO 'u'@'%' WITH GRANT OPTION;/);
    expect(fixedUserSql('mysql', { database: 'app', user: 'u' })).toMatch(/GRANT ALL ON app\.\* TO 'u'@'%';/);
  });
});
