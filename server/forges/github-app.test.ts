import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startForgeHttp, type ForgeHttp } from '../testing/forge-http.js';
import { githubApp } from './github-app.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const target = { forge: 'github' as const, repository: 'acme/quarry' };
let http: ForgeHttp;

beforeEach(async () => {
  http = await startForgeHttp({ githubToken: 'unused', app: { appId: '4242', publicKey, installationId: 77 } });
});
afterEach(() => http.close());

describe('GitHub App authentication', () => {
  it('a JWT finds the installation, which gives a token; the token is cached, and refreshed when asked (after a 401)', async () => {
    const app = githubApp({ appId: 4242, privateKey: pem, apiUrl: http.url });
    const first = await app.tokenFor(target);
    expect(first).toBe('ghs_installation1');
    expect(http.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /repos/acme/quarry/installation 200', 'POST /app/installations/77/access_tokens 201']);
    expect(await app.tokenFor(target)).toBe(first);
    expect(http.requests).toHaveLength(2);
    // The stand-in takes the token it issued for API calls, until it is revoked.
    const call = (token: string) => fetch(`${http.url}/repos/acme/quarry/issues/1/comments`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await call(first)).toBe(200);
    http.revoke(first);
    expect(await call(first)).toBe(401);
    const fresh = await app.tokenFor(target, { refresh: true });
    expect(fresh).toBe('ghs_installation2');
    expect(await call(fresh)).toBe(200);
    expect(http.problems).toEqual([]);
  });

  it('a key that is not the App\'s gets GitHub\'s 401', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    await expect(githubApp({ appId: 4242, privateKey: other, apiUrl: http.url }).tokenFor(target)).rejects.toThrow(/JSON web token/);
  });
});
