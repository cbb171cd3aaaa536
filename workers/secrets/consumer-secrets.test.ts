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
  it('names the variable after the library and the consumer: upper case, anything but letters and digits as _, parts split by __', () => {
    expect(consumerSecretVariable('quarry', 'py-inventory', 'API_KEY')).toBe('COMPAT_SECRET_QUARRY__PY_INVENTORY__API_KEY');
    expect(consumerSecretVariable('sql-alchemy', 'js.ledger2', 'TOKEN')).toBe('COMPAT_SECRET_SQL_ALCHEMY__JS_LEDGER2__TOKEN');
  });

  it('keeps consumers of one library apart whose names once made one variable (py + INVENTORY_API_KEY, py.inventory + API_KEY)', () => {
    expect(consumerSecretVariable('lib', 'py', 'INVENTORY_API_KEY')).not.toBe(consumerSecretVariable('lib', 'py.inventory', 'API_KEY'));
    const env = {
      [consumerSecretVariable('lib', 'py', 'INVENTORY_API_KEY')]: 'py-value',
      [consumerSecretVariable('lib', 'py.inventory', 'API_KEY')]: 'inventory-value',
    };
    const secrets = loadConsumerSecrets(env);
    expect(secrets.forConsumer('lib', 'py', ['INVENTORY_API_KEY'])).toEqual({ INVENTORY_API_KEY: 'py-value' });
    expect(secrets.forConsumer('lib', 'py.inventory', ['API_KEY'])).toEqual({ API_KEY: 'inventory-value' });
    // The same consumer name under another library is another consumer.
    expect(secrets.forConsumer('other-lib', 'py', ['INVENTORY_API_KEY'])).toEqual({});
  });

  it('never reads the worker\'s own environment, whatever secretEnv names; the old consumer-only form is named, not read', () => {
    const env = {
      PATH: '/usr/bin',
      COMPAT_REDIS_URL: 'redis://secret@host',
      HOST_ONLY: 'x',
      API_KEY: 'bare',
      COMPAT_SECRET_LIB__OTHER__API_KEY: 'other',
      COMPAT_SECRET_PY_INVENTORY_API_KEY: 'old-form',
    };
    const secrets = loadConsumerSecrets(env);
    expect(secrets.forConsumer('lib', 'app', ['PATH', 'COMPAT_REDIS_URL', 'HOST_ONLY', 'API_KEY'])).toEqual({});
    // Another consumer's secret is not this one's.
    expect(secrets.forConsumer('lib', 'app', ['API_KEY'])).toEqual({});
    expect(secrets.forConsumer('lib', 'other', ['API_KEY'])).toEqual({ API_KEY: 'other' });
    expect(secrets.forConsumer('lib', 'py-inventory', ['API_KEY'])).toEqual({});
    expect(secrets.unreadVariables).toEqual(['COMPAT_SECRET_PY_INVENTORY_API_KEY']);
  });

  it('reads the consumer\'s own variables and its part of COMPAT_SECRETS_FILE (library, then consumer); the environment wins', () => {
    const env = {
      COMPAT_SECRET_QUARRY__PY_INVENTORY__API_KEY: 'from-env',
      COMPAT_SECRETS_FILE: file({
        quarry: { 'py-inventory': { API_KEY: 'from-file', DB_TOKEN: 'file-token' }, other: { SHARED: 'no' } },
        elsewhere: { 'py-inventory': { SHARED: 'not this library' } },
      }),
    };
    const secrets = loadConsumerSecrets(env);
    expect(secrets.forConsumer('quarry', 'py-inventory', ['API_KEY', 'DB_TOKEN', 'SHARED', 'MISSING'])).toEqual({ API_KEY: 'from-env', DB_TOKEN: 'file-token' });
    // Prototype names are not secrets, at any level.
    expect(secrets.forConsumer('quarry', 'py-inventory', ['__proto__', 'constructor', 'toString'])).toEqual({});
    expect(secrets.forConsumer('quarry', '__proto__', ['API_KEY'])).toEqual({});
    expect(secrets.forConsumer('constructor', 'py-inventory', ['API_KEY'])).toEqual({});
  });

  it('a bad secrets file fails with its name and what is wrong, never its content', () => {
    expect(() => loadConsumerSecrets({ COMPAT_SECRETS_FILE: path.join(dir, 'missing.json') })).toThrow(/^COMPAT_SECRETS_FILE .*missing\.json: ENOENT/);
    expect(() => loadConsumerSecrets({ COMPAT_SECRETS_FILE: file('{"app": "s3cr3t-value"') })).toThrow(/^COMPAT_SECRETS_FILE .*secrets\.json: /);
    let message = '';
    try {
      loadConsumerSecrets({ COMPAT_SECRETS_FILE: file({ lib: { app: { lower: 's3cr3t-value', OK: 7 } } }) });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/lib\.app\.lower: Invalid key/);
    expect(message).toMatch(/lib\.app\.OK: /);
    expect(message).not.toContain('s3cr3t-value');
    // The file of the form before (consumer, then name) is refused, not half read.
    expect(() => loadConsumerSecrets({ COMPAT_SECRETS_FILE: file({ 'py-inventory': { API_KEY: 's3cr3t-value' } }) })).toThrow(/\{"<library>": \{"<consumer>": \{"<NAME>": "<value>"\}\}\}.*py-inventory\.API_KEY/);
  });
});
