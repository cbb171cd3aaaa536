import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { githubSignature, verifyGithubSignature, verifyGitlabToken } from './signature.js';

describe('GitHub X-Hub-Signature-256', () => {
  // The example from GitHub's "Validating webhook deliveries" page.
  it("matches GitHub's documented test vector", () => {
    const body = Buffer.from('Hello, World!');
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(githubSignature(body, "It's a Secret to Everybody")).toBe(header);
    expect(verifyGithubSignature(body, header, "It's a Secret to Everybody")).toBe(true);
  });

  it('is over the exact bytes: whitespace or re-serialised JSON fails', () => {
    const raw = Buffer.from('{"a": 1}');
    const header = githubSignature(raw, 's');
    expect(verifyGithubSignature(raw, header, 's')).toBe(true);
    expect(verifyGithubSignature(Buffer.from(JSON.stringify({ a: 1 })), header, 's')).toBe(false);
  });

  it('refuses a wrong secret, a truncated, overlong, non-hex or sha1 header, and none', () => {
    const body = Buffer.from('{}');
    const good = githubSignature(body, 'right');
    expect(verifyGithubSignature(body, githubSignature(body, 'wrong'), 'right')).toBe(false);
    expect(verifyGithubSignature(body, good.slice(0, -2), 'right')).toBe(false);
    expect(verifyGithubSignature(body, `${good}00`, 'right')).toBe(false);
    expect(verifyGithubSignature(body, good.replace(/[0-9a-f]$/, 'z'), 'right')).toBe(false);
    expect(verifyGithubSignature(body, `sha1=${createHmac('sha1', 'right').update(body).digest('hex')}`, 'right')).toBe(false);
    expect(verifyGithubSignature(body, undefined, 'right')).toBe(false);
    expect(verifyGithubSignature(body, '', 'right')).toBe(false);
  });

  it('accepts upper-case hex', () => {
    const body = Buffer.from('x');
    const hex = githubSignature(body, 'k').slice('sha256='.length);
    expect(verifyGithubSignature(body, `sha256=${hex.toUpperCase()}`, 'k')).toBe(true);
  });
});

describe('GitLab X-Gitlab-Token', () => {
  it('accepts only the exact secret, whatever the lengths', () => {
    expect(verifyGitlabToken('s3cret', 's3cret')).toBe(true);
    expect(verifyGitlabToken('s3cre', 's3cret')).toBe(false);
    expect(verifyGitlabToken('s3cret-and-more', 's3cret')).toBe(false);
    expect(verifyGitlabToken('', 's3cret')).toBe(false);
    expect(verifyGitlabToken(undefined, 's3cret')).toBe(false);
  });
});
