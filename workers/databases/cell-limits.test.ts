import { describe, expect, it } from 'vitest';
import { cellDatabaseSql, DatabaseError } from './servers.js';

describe('a cell user on a shared server', () => {
  it('gets a connection limit and a statement timeout on PostgreSQL', () => {
    const sql = cellDatabaseSql('postgres', 'c_0123456789ab', 'pw', { connections: 50, statementSeconds: 300 }) as string[];
    expect(sql[0]).toBe("CREATE USER c_0123456789ab PASSWORD 'pw' CONNECTION LIMIT 50");
    expect(sql).toContain("ALTER ROLE c_0123456789ab SET statement_timeout = '300s'");
  });

  it('gets MAX_USER_CONNECTIONS and MAX_STATEMENT_TIME on MariaDB', () => {
    const sql = cellDatabaseSql('mysql', 'c_0123456789ab', 'pw', { connections: 7, statementSeconds: 9 }) as string;
    expect(sql).toContain("CREATE USER 'c_0123456789ab'@'%' IDENTIFIED BY 'pw' WITH MAX_USER_CONNECTIONS 7 MAX_STATEMENT_TIME 9;");
  });

  it('refuses limits that are not positive', () => {
    expect(() => cellDatabaseSql('postgres', 'c_0123456789ab', 'pw', { connections: 0, statementSeconds: 300 })).toThrow(DatabaseError);
  });
});
