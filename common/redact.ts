/**
 * Credentials written into URLs (`https://user:TOKEN@host/repo.git`, `https://TOKEN@host/...`), as
 * private repositories often are in matrix.yaml. The server and the workers need them to clone; nothing
 * they show or log may repeat them. This is the one place that takes them out: every URL, message, log
 * line and answer that leaves a process goes through it.
 */

/**
 * A URL's user-info part: after `scheme://`, everything up to the last `@` before the path, query,
 * fragment or any white space or quote (a password may hold an `@` of its own).
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"`<>]*(?:@[^\s/?#@'"`<>]*)*@/gi;

/**
 * A text (a URL, an error message, a log line, git's output) with every URL in it stripped of its user
 * and password: `https://user:token@host/x` becomes `https://host/x`.
 */
export function redactText(text: string): string {
  // Most text has no URL at all: a cheap test first.
  if (!text.includes('://') || !text.includes('@')) return text;
  return text.replace(USERINFO, '$1');
}

/**
 * A value (JSON-like, or an Error) with every string in it redacted, as a copy: an error stays an
 * instance of its class, with message and stack redacted, so a serializer downstream sees no original. Shared
 * references and cycles are handled; past `maxDepth` a value is replaced by a marker.
 */
export function redactDeep<T>(value: T, maxDepth = 12): T {
  const seen = new WeakMap<object, unknown>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactText(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return seen.get(v);
    if (depth > maxDepth) return '[too deep]';
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return v;
    if (v instanceof Date) return v;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const item of v) out.push(walk(item, depth + 1));
      return out;
    }
    // An error stays an error of its class (serializers and `instanceof` still know it), as a copy.
    const out: Record<string, unknown> = v instanceof Error ? Object.create(Object.getPrototypeOf(v)) : {};
    seen.set(v, out);
    if (v instanceof Error) {
      out.message = redactText(v.message);
      if (v.stack) out.stack = redactText(v.stack);
      const cause = (v as Error & { cause?: unknown }).cause;
      if (cause !== undefined) out.cause = walk(cause, depth + 1);
    }
    for (const [key, item] of Object.entries(v)) out[key] = walk(item, depth + 1);
    return out;
  };
  return walk(value, 0) as T;
}

/** Longest unfinished line held back before it is let through anyway. */
const MAX_HELD_LINE = 64 * 1024;

/**
 * Redaction for text that arrives in pieces (a log, streamed): a URL may be split between two pieces,
 * so whole lines are redacted and an unfinished last line waits for the next piece (or the end).
 */
export function lineRedactor(): { push(text: string): string; end(): string } {
  let partial = '';
  return {
    push(text) {
      const all = partial + text;
      const cut = all.lastIndexOf('\n') + 1;
      if (cut === 0 && all.length < MAX_HELD_LINE) {
        partial = all;
        return '';
      }
      const ready = cut === 0 ? all : all.slice(0, cut);
      partial = cut === 0 ? '' : all.slice(cut);
      return redactText(ready);
    },
    end() {
      const rest = partial;
      partial = '';
      return redactText(rest);
    },
  };
}
