/**
 * API bearer tokens: only their SHA-256 is stored, compared in constant time; a revoked token is
 * refused at once. A token has a scope: `admin` (what `write` may, and changing queues through the
 * queue board, which is full Redis power: it can add results no worker produced), `write` (start runs,
 * bisects; a read-only queue board) or `read` (only reads, for deployments with
 * COMPAT_READ_TOKEN_REQUIRED=1). The local CLI gets an admin token in a 0600 file in the data directory.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { ApiTokenRow } from '../store/api-tokens.js';
import type { Store } from '../store/store.js';

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const RANK: Record<Scope, number> = { read: 0, write: 1, admin: 2 };

/** Whether a token of scope `has` may do what `needs` asks: admin implies write, write implies read. */
export function allows(has: Scope, needs: Scope): boolean {
  return RANK[has] >= RANK[needs];
}

/** A stored scope as a Scope; anything unknown reads as `write` (tokens made before scopes existed). */
function scopeOf(stored: string): Scope {
  return (SCOPES as readonly string[]).includes(stored) ? (stored as Scope) : 'write';
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Tokens {
  constructor(private readonly store: Store) {}

  create(name: string, scope: Scope = 'write'): { id: string; token: string } {
    const id = `t_${randomBytes(4).toString('hex')}`;
    const token = `cmx_${randomBytes(24).toString('base64url')}`;
    this.store.apiTokens.insert(id, name, hash(token), scope);
    return { id, token };
  }

  revoke(idOrName: string): number {
    return this.store.apiTokens.revoke(idOrName);
  }

  list(): ApiTokenRow[] {
    return this.store.apiTokens.list();
  }

  /** The token's name and scope if it is valid and not revoked. */
  verify(token: string | undefined): { name: string; scope: Scope } | null {
    if (!token || token.length > 200) return null;
    const digest = Buffer.from(hash(token), 'hex');
    const rows = this.store.apiTokens.active();
    let found: { name: string; scope: Scope } | null = null;
    for (const row of rows) {
      // Every row is compared, so timing says nothing about which one matched.
      if (timingSafeEqual(digest, Buffer.from(row.hash, 'hex'))) found = { name: row.name, scope: scopeOf(row.scope) };
    }
    return found;
  }

  /**
   * The local admin token, created on first start; the CLI on this host reads it from the file. A file
   * left by an older version (a write token) is replaced by an admin one: whoever reads this file is the
   * operator of this host.
   */
  ensureLocalAdmin(dataDir: string): string {
    const file = localTokenFile(dataDir);
    if (existsSync(file)) {
      const token = readFileSync(file, 'utf8').trim();
      if (this.verify(token)?.scope === 'admin') return token;
    }
    const { token } = this.create('local-cli', 'admin');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return token;
  }
}

export function localTokenFile(dataDir: string): string {
  return path.join(dataDir, 'local-admin.token');
}

export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}
