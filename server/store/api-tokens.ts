/**
 * API token rows: a name and the SHA-256 of the token (server/auth/tokens.ts makes and checks tokens;
 * this only keeps them). Reached as `store.apiTokens`: the store owns the database handle.
 */
import type Database from 'better-sqlite3';

/**
 * What a token may do: `read` only reads; `write` (every token made before scopes existed) also writes;
 * `admin` also changes queues through the queue board.
 */
export type TokenScope = 'read' | 'write' | 'admin';

export interface ApiTokenRow {
  id: string;
  name: string;
  scope: TokenScope;
  created_at: string;
  revoked_at: string | null;
}

export class ApiTokens {
  constructor(private readonly db: Database.Database) {}

  insert(id: string, name: string, hash: string, scope: TokenScope): void {
    this.db.prepare('INSERT INTO api_tokens (id, name, hash, created_at, scope) VALUES (?, ?, ?, ?, ?)').run(id, name, hash, new Date().toISOString(), scope);
  }

  /** Revokes the active tokens with this id or name; returns how many. */
  revoke(idOrName: string): number {
    return this.db
      .prepare('UPDATE api_tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL')
      .run(new Date().toISOString(), idOrName, idOrName).changes;
  }

  list(): ApiTokenRow[] {
    return this.db.prepare('SELECT id, name, scope, created_at, revoked_at FROM api_tokens ORDER BY created_at').all() as ApiTokenRow[];
  }

  /** Every token that is not revoked, as name, hash and scope. */
  active(): Array<{ name: string; hash: string; scope: TokenScope }> {
    return this.db.prepare('SELECT name, hash, scope FROM api_tokens WHERE revoked_at IS NULL').all() as Array<{ name: string; hash: string; scope: TokenScope }>;
  }
}
