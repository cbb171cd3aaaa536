import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consumerSecretVariable, loadConsumerSecrets } from './consumer-secrets.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'consumer-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(content: unknown): string {
  const name = path.join(dir, 'secrets.json');
  writeFileSync(name, typeof content === 'string' ? content : JSON.stringify(content));
  return name;
}

describe('consumer secrets', () => {
  it('names the variable after the consumer: upper case, anything but letters and digits as _', () => {
    expect(consumerSecretVariable('py-inventory', 'API_KEY')).toBe('COMPAT_SECRET_PY_INVENTORY_API_KEY');
    expect(consumerSecretVariable('js.ledger2', 'TOKEN')).toBe('COMPAT_SECRET_JS_LEDGER2_TOKEN');
  });

  it('never reads the worker\'s own environment, whatever secretEnv names', () => {
    const env = { PATH: '/usr/bin', COMPAT_REDIS_URL: 'redis://secret@host', HOST_ONLY: 'x', API_KEY: 'bare', COMPAT_SECRET_OTHER_API_KEY: 'other' };
    const secrets = loadConsumerSecrets(env);
    expect(secrets.forConsumer('app', ['PATH', 'COMPAT_REDIS_URL', 'HOST_ONLY', 'API_KEY'])).toEqual({});
    // Another consumer's secret is not this one's.
    expect(secrets.forConsumer('app', ['API_KEY'])).toEqual({});
    expect(secrets.forConsumer('other', ['API_KEY'])).toEqual({ API_KEY: 'other' });
  });

  it('reads the consumer\'s own variables and its part of COMPAT_SECRETS_FILE; the environment wins', () => {
    const env = {
      COMPAT_SECRET_PY_INVENTORY_API_KEY: 'from-env',
      COMPAT_SECRETS_FILE: file({ 'py-inventory': { API_KEY: 'from-file', DB_TOKEN: 'file-token' }, other: { SHARED: 'no' } }),
    };
    const secrets = loadConsumerSecrets(env);
    expect(secrets.forConsumer('py-inventory', ['API_KEY', 'DB_TOKEN', 'SHARED', 'MISSING'])).toEqual({ API_KEY: 'from-env', DB_TOKEN: 'file-token' });
    // Prototype names are not secrets.
    expect(secrets.forConsumer('py-inventory', ['__proto__', 'constructor', 'toString'])).toEqual({});
  });

  it('a bad secrets file fails with its name and what is wrong, never its content', () => {
    expect(() => loadConsumerSecrets({ COMPAT_SECRETS_FILE: path.join(dir, 'missing.json') })).toThrow(/^COMPAT_SECRETS_FILE .*missing\.json: ENOENT/);
    expect(() => loadConsumerSecrets({ COMPAT_SECRETS_FILE: file('{"app": "s3cr3t-value"') })).toThrow(/^COMPAT_SECRETS_FILE .*secrets\.json: /);
    let message = '';
    try {
      loadConsumerSecrets({ COMPAT_SECRETS_FILE: file({ app: { lower: 's3cr3t-value', OK: 7 } }) });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/app\.lower: Invalid key/);
    expect(message).toMatch(/app\.OK: /);
    expect(message).not.toContain('s3cr3t-value');
  });
});
