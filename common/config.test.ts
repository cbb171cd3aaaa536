import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, secretKey, webhookSecretFor } from './config.js';

const saved = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

function clearCompatEnv() {
  for (const key of Object.keys(process.env)) if (key.startsWith('COMPAT_WEBHOOK') || key.startsWith('COMPAT_GIT')) delete process.env[key];
}

describe('webhook secrets', () => {
  it('reads COMPAT_WEBHOOK_SECRET_<LIBRARY> and the default', () => {
    clearCompatEnv();
    process.env.COMPAT_WEBHOOK_SECRET_SQL_ALCHEMY = 'per-library';
    process.env.COMPAT_WEBHOOK_SECRET = 'default';
    const config = loadConfig();
    expect(secretKey('sql-alchemy')).toBe('SQL_ALCHEMY');
    expect(webhookSecretFor(config, 'sql-alchemy')).toBe('per-library');
    expect(webhookSecretFor(config, 'other')).toBe('default');
  });

  it('reads a JSON secrets file; the environment wins over it', () => {
    clearCompatEnv();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-secrets-'));
    try {
      const file = path.join(dir, 'secrets.json');
      writeFileSync(file, JSON.stringify({ quarry: 'from-file', knex: 'file-knex', '*': 'file-default' }));
      process.env.COMPAT_WEBHOOK_SECRETS_FILE = file;
      process.env.COMPAT_WEBHOOK_SECRET_KNEX = 'env-knex';
      const config = loadConfig();
      expect(webhookSecretFor(config, 'quarry')).toBe('from-file');
      expect(webhookSecretFor(config, 'knex')).toBe('env-knex');
      expect(webhookSecretFor(config, 'unknown')).toBe('file-default');
      writeFileSync(file, '{"quarry": 1}');
      expect(() => loadConfig()).toThrow(/the secret of "quarry" must be a non-empty string/);
      writeFileSync(file, 'not json');
      expect(() => loadConfig()).toThrow(/COMPAT_WEBHOOK_SECRETS_FILE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no secret at all unless one is configured', () => {
    clearCompatEnv();
    expect(webhookSecretFor(loadConfig(), 'quarry')).toBeNull();
  });
});

describe('forge API settings', () => {
  it('defaults to api.github.com without a token', () => {
    clearCompatEnv();
    const config = loadConfig();
    expect(config).toMatchObject({ githubApiUrl: 'https://api.github.com', githubToken: null, gitlabToken: null, webhookBodyLimitBytes: 1024 * 1024 });
  });

  it('takes COMPAT_GITHUB_API_URL (trailing slash dropped) and COMPAT_GITHUB_TOKEN', () => {
    clearCompatEnv();
    process.env.COMPAT_GITHUB_API_URL = 'https://ghe.example.com/api/v3/';
    process.env.COMPAT_GITHUB_TOKEN = 'ghp_abc';
    expect(loadConfig()).toMatchObject({ githubApiUrl: 'https://ghe.example.com/api/v3', githubToken: 'ghp_abc' });
  });
});
