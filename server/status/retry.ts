/**
 * What to do after one attempt at posting a status, decided from the forge's answer the way GitHub
 * documents it: 2xx is done; 5xx, 408 and network errors are retried with exponential backoff and
 * jitter; a rate limit (403/429 with Retry-After, or x-ratelimit-remaining 0 and x-ratelimit-reset)
 * waits as long as the forge says; any other 4xx will not get better by asking again.
 */

export type AttemptOutcome =
  | { kind: 'sent' }
  /** `delayMs` null: the caller's exponential backoff; a number: the forge said how long. */
  | { kind: 'retry'; delayMs: number | null; reason: string }
  | { kind: 'give-up'; reason: string };

/** GitHub asks for "at least one minute" after a secondary rate limit that names no time. */
const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000;
/** A wait the forge asks for is honoured up to this long (GitHub's primary rate limit window). */
const MAX_HONOURED_WAIT_MS = 3_600_000;

/** Retry-After: delay-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message.slice(0, 200);
  } catch {
    /* not JSON */
  }
  return body.slice(0, 200);
}

export function classifyResponse(status: number, headers: Headers, body: string, now: number): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'sent' };
  const message = messageOf(body);
  const reason = `HTTP ${status}${message ? `: ${message}` : ''}`;
  if (status === 403 || status === 429) {
    const after = retryAfterMs(headers.get('retry-after'), now);
    if (after !== null) return { kind: 'retry', delayMs: after, reason };
    const reset = headers.get('x-ratelimit-reset');
    if (headers.get('x-ratelimit-remaining') === '0' && reset && /^\d+$/.test(reset)) {
      return { kind: 'retry', delayMs: Math.max(0, Number(reset) * 1000 - now), reason };
    }
    if (status === 429) return { kind: 'retry', delayMs: null, reason };
    if (/rate limit/i.test(message)) return { kind: 'retry', delayMs: SECONDARY_RATE_LIMIT_WAIT_MS, reason };
    return { kind: 'give-up', reason };
  }
  if (status >= 500 || status === 408) return { kind: 'retry', delayMs: null, reason };
  return { kind: 'give-up', reason };
}

export interface BackoffOptions {
  /** First retry after about this long. */
  baseMs: number;
  /** No single wait is longer. */
  maxMs: number;
  random?: () => number;
}

/**
 * Wait before retry number `attempt` (1-based): exponential with "equal jitter" (half fixed, half
 * random), so retries of many reports spread out. A delay the forge asked for is kept as a floor and
 * gets a little jitter on top, never less.
 */
export function retryDelayMs(attempt: number, asked: number | null, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  // The forge's own wait is honoured even past maxMs (a rate-limit window is up to an hour), since the
  // wait is kept in the store rather than in a timer that a restart would lose.
  if (asked !== null) return Math.min(asked, MAX_HONOURED_WAIT_MS) + Math.floor(random() * Math.min(1000, asked * 0.1 + 100));
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(exp / 2 + random() * (exp / 2));
}
