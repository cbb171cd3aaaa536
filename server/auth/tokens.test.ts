import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../store/migrations.js';
import { Store } from '../store/store.js';
import { allows, Tokens } from './tokens.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('token scopes', () => {
  it('keeps write for a token made before scopes existed', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'compat-tokens-'));
    const file = Store.fileIn(dir);
    // A store as the release before scopes left it (schema version 2), holding one token.
    const old = new Database(file);
    old.exec(MIGRATIONS[0]);
    old.exec(MIGRATIONS[1]);
    old.pragma('user_version = 2');
    old.prepare('INSERT INTO api_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)').run('t_old', 'ci', createHash('sha256').update('cmx_old').digest('hex'), '2026-01-01T00:00:00Z');
    old.close();

    const store = new Store(file);
    const tokens = new Tokens(store);
    expect(tokens.verify('cmx_old')).toEqual({ name: 'ci', scope: 'write' });
    const reader = tokens.create('dashboard', 'read');
    expect(tokens.verify(reader.token)).toEqual({ name: 'dashboard', scope: 'read' });
    expect(tokens.verify(tokens.create('deploy').token)?.scope).toBe('write');
    expect(tokens.verify('cmx_nope')).toBeNull();
    store.close();
  });

  it('write implies read, read is only read', () => {
    expect(allows('write', 'write')).toBe(true);
    expect(allows('write', 'read')).toBe(true);
    expect(allows('read', 'read')).toBe(true);
    expect(allows('read', 'write')).toBe(false);
  });
});
