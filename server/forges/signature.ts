/**
 * Webhook authentication, in constant time. GitHub signs the exact request bytes with HMAC-SHA256
 * (`X-Hub-Signature-256: sha256=<hex>`); GitLab sends the shared secret itself (`X-Gitlab-Token`).
 * Both comparisons run over equal-length digests, so neither the timing nor a length mismatch says how
 * much of a guess was right.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function githubSignature(body: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function verifyGithubSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  // A malformed header is still compared (against zeros), so it costs the same as a wrong one.
  const given = match ? Buffer.from(match[1], 'hex') : Buffer.alloc(expected.length);
  return timingSafeEqual(expected, given) && match !== null;
}

export function verifyGitlabToken(header: string | undefined, secret: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(header ?? ''), digest(secret)) && header !== undefined;
}
