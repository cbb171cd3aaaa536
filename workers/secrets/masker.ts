/**
 * Masks a consumer's secret values in what its suite prints. Output arrives in chunks cut anywhere (in
 * the middle of a secret, in the middle of a UTF-8 character), so masking works on bytes and holds back
 * the last (longest secret - 1) bytes of each chunk until the next one, or the end of the stream:
 * a secret split across two chunks is masked like any other.
 */
import { StringDecoder } from 'node:string_decoder';

export const MASK = '***';
/** Shorter values are not masked: "1" or "ab" would blot out half a log and hide nothing. */
export const MIN_SECRET_LENGTH = 4;

function usable(values: readonly string[]): Buffer[] {
  const unique = [...new Set(values.filter((v) => v.length >= MIN_SECRET_LENGTH))];
  // Longest first: where one secret contains another, the whole of it is masked.
  return unique.map((v) => Buffer.from(v, 'utf8')).sort((a, b) => b.length - a.length);
}

/**
 * Replaces, leftmost first, each secret that starts before `before` with the mask. Returns the pieces up
 * to where the last replacement ended.
 */
function replaceAll(data: Buffer, secrets: Buffer[], before = data.length): { parts: Buffer[]; end: number } {
  const parts: Buffer[] = [];
  let from = 0;
  for (;;) {
    let at = -1;
    let match: Buffer | null = null;
    for (const secret of secrets) {
      const i = data.indexOf(secret, from);
      if (i !== -1 && (at === -1 || i < at)) {
        at = i;
        match = secret;
      }
    }
    if (!match || at >= before) return { parts, end: from };
    parts.push(data.subarray(from, at), Buffer.from(MASK));
    from = at + match.length;
  }
}

/** One output stream's filter: chunks (bytes or text) in, masked text out; `end()` gives what was held back. */
export class StreamMasker {
  private readonly secrets: Buffer[];
  private readonly holdBack: number;
  private held = Buffer.alloc(0);
  private readonly decoder = new StringDecoder('utf8');

  constructor(values: readonly string[]) {
    this.secrets = usable(values);
    this.holdBack = this.secrets.length ? this.secrets[0].length - 1 : 0;
  }

  push(chunk: Buffer | string): string {
    const data = Buffer.concat([this.held, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk]);
    // A secret starting before `settled` lies wholly in `data` (or does not occur there); one starting
    // later may be completed by the next chunk. Matches are taken only from the settled part, so a
    // short secret is never masked inside a longer one whose start came in an earlier chunk.
    const settled = data.length - this.holdBack;
    const { parts, end } = replaceAll(data, this.secrets, settled);
    const keep = Math.max(end, settled);
    parts.push(data.subarray(end, keep));
    this.held = Buffer.from(data.subarray(keep));
    return this.decoder.write(Buffer.concat(parts));
  }

  end(): string {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    const { parts, end } = replaceAll(rest, this.secrets);
    parts.push(rest.subarray(end));
    return this.decoder.write(Buffer.concat(parts)) + this.decoder.end();
  }
}

export type OutputStream = 'stdout' | 'stderr';

/**
 * A container's output, masked per stream: a suite writes a secret to one stream, and the other's
 * output may arrive between two pieces of it, so each stream keeps its own held-back tail.
 */
export class OutputMasker {
  private readonly streams: Record<OutputStream, StreamMasker>;

  constructor(values: readonly string[]) {
    this.streams = { stdout: new StreamMasker(values), stderr: new StreamMasker(values) };
  }

  push(chunk: Buffer | string, stream: OutputStream): string {
    return this.streams[stream].push(chunk);
  }

  /** What both streams still hold: once the container has ended. */
  end(): string {
    return this.streams.stdout.end() + this.streams.stderr.end();
  }
}

/** Masks secrets in a whole text at once (a test's name or message from JUnit). */
export function maskText(values: readonly string[]): (text: string) => string {
  if (usable(values).length === 0) return (t) => t;
  return (text) => {
    const masker = new StreamMasker(values);
    return masker.push(text) + masker.end();
  };
}
