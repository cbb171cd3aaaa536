import { describe, expect, it } from 'vitest';
import { lineRedactor, redactDeep, redactText } from './redact.js';

describe('redactText', () => {
  it.each([
    ['https://user:s3cret@git.example.org/acme/lib.git', 'https://git.example.org/acme/lib.git'],
    ['https://ghp_TOKEN@github.com/acme/lib', 'https://github.com/acme/lib'],
    ['https://x-access-token:ghs_abc@github.com:443/acme/lib.git', 'https://github.com:443/acme/lib.git'],
    // A password with an @ of its own (unencoded, as people write it) goes whole.
    ['https://user:p@ss@host/repo', 'https://host/repo'],
    ['http://user:pa%40ss@127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['git+ssh://git@host/repo', 'git+ssh://host/repo'],
  ])('%s', (input, output) => {
    expect(redactText(input)).toBe(output);
  });

  it('finds URLs inside messages, quoted or not, and leaves the rest alone', () => {
    expect(redactText(`cannot clone https://u:TOKEN@host/a.git: fatal: repository 'https://u:TOKEN@host/a.git/' not found`)).toBe(
      `cannot clone https://host/a.git: fatal: repository 'https://host/a.git/' not found`,
    );
    expect(redactText('two: "http://a:b@h1/x" and <ftp://c@h2/y>')).toBe('two: "http://h1/x" and <ftp://h2/y>');
    for (const plain of ['mail me at someone@example.org', 'https://host/path/with@at', 'git@github.com:acme/lib.git', '/srv/git/lib', 'no url here']) {
      expect(redactText(plain)).toBe(plain);
    }
  });
});

describe('redactDeep', () => {
  it('redacts every string of a JSON value and keeps its shape', () => {
    const value = { repo: 'https://u:T@h/r', list: ['ok', 'http://a:T@h'], n: 3, nested: { deeper: [{ s: 'x https://T@h y' }] }, none: null };
    expect(redactDeep(value)).toEqual({ repo: 'https://h/r', list: ['ok', 'http://h'], n: 3, nested: { deeper: [{ s: 'x https://h y' }] }, none: null });
    expect(value.repo).toBe('https://u:T@h/r'); // a copy: the original is untouched
  });

  it('copies errors with redacted message and stack, of their own class', () => {
    class GitError extends Error {}
    const error = Object.assign(new GitError('cannot clone https://u:T@h/r'), { code: 'E' });
    const out = redactDeep({ err: error }) as unknown as { err: Error & { code: string } };
    expect(out.err).toBeInstanceOf(GitError);
    expect(out.err).not.toBe(error);
    expect(out.err.message).toBe('cannot clone https://h/r');
    expect(out.err.code).toBe('E');
    expect(out.err.stack).not.toContain('u:T@');
    expect(error.message).toContain('u:T@');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { url: 'https://u:T@h' };
    a.self = a;
    const out = redactDeep(a) as Record<string, unknown>;
    expect(out.url).toBe('https://h');
    expect(out.self).toBe(out);
  });
});

describe('lineRedactor', () => {
  it('redacts a URL split between pieces, line by line', () => {
    const r = lineRedactor();
    const pieces = ['cloning https://us', 'er:TOK', 'EN@host/a.git\nnext line ', 'http://x:TOKEN@h2 end'];
    const out = pieces.map((p) => r.push(p)).join('') + r.end();
    expect(out).toBe('cloning https://host/a.git\nnext line http://h2 end');
  });
});
