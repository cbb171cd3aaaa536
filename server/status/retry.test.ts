import { describe, expect, it } from 'vitest';
import { classifyResponse, retryAfterMs, retryDelayMs } from './retry.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const h = (headers: Record<string, string> = {}) => new Headers(headers);

describe('classifyResponse', () => {
  it('2xx is sent', () => {
    expect(classifyResponse(201, h(), '{}', now)).toEqual({ kind: 'sent' });
  });

  it('403/429 with Retry-After waits that long', () => {
    expect(classifyResponse(403, h({ 'retry-after': '1' }), '{"message":"You have exceeded a secondary rate limit."}', now)).toEqual({
      kind: 'retry',
      delayMs: 1000,
      reason: 'HTTP 403: You have exceeded a secondary rate limit.',
    });
    expect(classifyResponse(429, h({ 'retry-after': '30' }), '', now)).toMatchObject({ kind: 'retry', delayMs: 30_000 });
  });

  it('403 with x-ratelimit-remaining 0 waits until x-ratelimit-reset', () => {
    const reset = String(now / 1000 + 120);
    expect(classifyResponse(403, h({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), '{"message":"API rate limit exceeded"}', now)).toMatchObject({
      kind: 'retry',
      delayMs: 120_000,
    });
  });

  it('a secondary rate limit without a time waits a minute; a plain 403 is a permission problem', () => {
    expect(classifyResponse(403, h(), '{"message":"You have exceeded a secondary rate limit"}', now)).toMatchObject({ kind: 'retry', delayMs: 60_000 });
    expect(classifyResponse(403, h(), '{"message":"Resource not accessible by integration"}', now)).toEqual({
      kind: 'give-up',
      reason: 'HTTP 403: Resource not accessible by integration',
    });
  });

  it('5xx and 408 back off; 429 without a time backs off', () => {
    expect(classifyResponse(500, h(), '{"message":"Server Error"}', now)).toMatchObject({ kind: 'retry', delayMs: null });
    expect(classifyResponse(502, h(), '<html>bad gateway</html>', now)).toMatchObject({ kind: 'retry', delayMs: null });
    expect(classifyResponse(408, h(), '', now)).toMatchObject({ kind: 'retry', delayMs: null });
    expect(classifyResponse(429, h(), '', now)).toMatchObject({ kind: 'retry', delayMs: null });
  });

  it('other 4xx are final', () => {
    expect(classifyResponse(401, h(), '{"message":"Bad credentials"}', now)).toMatchObject({ kind: 'give-up' });
    expect(classifyResponse(404, h(), '{"message":"Not Found"}', now)).toMatchObject({ kind: 'give-up' });
    expect(classifyResponse(422, h(), '{"message":"Validation Failed"}', now)).toMatchObject({ kind: 'give-up', reason: 'HTTP 422: Validation Failed' });
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs(new Date(now + 7000).toUTCString(), now)).toBe(7000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });
});

describe('retryDelayMs', () => {
  const opts = { baseMs: 1000, maxMs: 60_000 };

  it('doubles per attempt, with jitter in the upper half, capped', () => {
    expect(retryDelayMs(1, null, { ...opts, random: () => 0 })).toBe(500);
    expect(retryDelayMs(1, null, { ...opts, random: () => 0.999 })).toBe(999);
    expect(retryDelayMs(3, null, { ...opts, random: () => 0 })).toBe(2000);
    expect(retryDelayMs(20, null, { ...opts, random: () => 1 })).toBe(60_000);
  });

  it('never waits less than the forge asked, even past the cap', () => {
    for (const r of [0, 0.5, 0.999]) expect(retryDelayMs(1, 1000, { ...opts, random: () => r })).toBeGreaterThanOrEqual(1000);
    expect(retryDelayMs(1, 1000, { ...opts, random: () => 0.999 })).toBeLessThan(1200);
    expect(retryDelayMs(1, 600_000, { ...opts, random: () => 0 })).toBe(600_000);
  });
});
