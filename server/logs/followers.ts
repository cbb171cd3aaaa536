/**
 * Followed logs, all on one Redis connection per server process. A blocking XREAD needs a connection
 * of its own, and one per follower let anyone take Redis's `maxclients` with requests for logs that
 * never come (then the server and the workers lose the queue). Here one reader blocks on every
 * followed stream at once and hands each follower what is new for it. A follower ends at its log's end
 * marker, or when its side is finished or unknown (`live()` says so: checked about once a second, so a
 * side whose worker died without an end marker does not hold the answer), or when its client goes.
 */
import type { BlockingLogReader, LogChunk, LogStreams } from '../../common/queue/redis-data.js';

export interface Follow {
  key: string;
  /** The last stream id the follower has; it gets what comes after. */
  after: string;
  /** Whether the side may still write to this log. */
  live(): boolean;
  /** Receives new entries in order; returns true when the follower is done (it saw the end marker). */
  deliver(chunks: LogChunk[]): boolean;
  /** Ends no later than this (epoch ms), live or not. */
  deadline: number;
}

interface Follower extends Follow {
  checkedAt: number;
  done: () => void;
  ended: boolean;
}

/** Stream ids `ms-seq` in order. */
function idAfter(a: string, b: string): boolean {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  return Number(am) !== Number(bm) ? Number(am) > Number(bm) : Number(as) > Number(bs);
}

export class LogFollowers {
  private reader: BlockingLogReader | null = null;
  private readonly followers = new Set<Follower>();
  private looping: Promise<void> | null = null;
  private closed = false;

  constructor(
    /** The server's shared connection: its non-blocking reads (a follower's last look) go there. */
    private readonly logs: LogStreams,
    private readonly options: { blockMs?: number; checkEveryMs?: number } = {},
  ) {}

  /** How many follow now (for /metrics and tests). */
  get size(): number {
    return this.followers.size;
  }

  /**
   * Follows until the log ends, the side stops being live, the deadline passes or `signal` aborts
   * (the client went away). Resolves when the follow is over; never rejects.
   */
  follow(follow: Follow, signal: AbortSignal): Promise<void> {
    if (this.closed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const follower: Follower = { ...follow, checkedAt: Date.now(), ended: false, done: resolve };
      const stop = () => this.end(follower);
      signal.addEventListener('abort', stop, { once: true });
      follower.done = () => {
        signal.removeEventListener('abort', stop);
        resolve();
      };
      this.followers.add(follower);
      this.looping ??= this.loop().finally(() => (this.looping = null));
    });
  }

  private end(follower: Follower): void {
    if (follower.ended) return;
    follower.ended = true;
    this.followers.delete(follower);
    follower.done();
  }

  /** A follower whose side is no longer live gets what is left of its log, then ends. */
  private async last(follower: Follower): Promise<void> {
    try {
      for (;;) {
        const chunks = (await this.logs.read(follower.key, follower.after)).filter((c) => idAfter(c.id, follower.after));
        if (!chunks.length || follower.ended) break;
        follower.after = chunks[chunks.length - 1].id;
        if (follower.deliver(chunks)) break;
      }
    } catch {
      // Redis unreachable: the follower ends with what it had.
    }
    this.end(follower);
  }

  private async loop(): Promise<void> {
    const blockMs = this.options.blockMs ?? 1000;
    const checkEveryMs = this.options.checkEveryMs ?? 1000;
    while (this.followers.size > 0 && !this.closed) {
      const now = Date.now();
      const stale: Follower[] = [];
      for (const f of this.followers) {
        if (now >= f.deadline) stale.push(f);
        else if (now - f.checkedAt >= checkEveryMs) {
          f.checkedAt = now;
          let live = false;
          try {
            live = f.live();
          } catch {
            live = false;
          }
          if (!live) stale.push(f);
        }
      }
      for (const f of stale) this.followers.delete(f);
      await Promise.all(stale.map((f) => this.last(f)));
      if (this.followers.size === 0) break;
      // Per stream, from the earliest id any of its followers has.
      const from = new Map<string, string>();
      for (const f of this.followers) {
        const seen = from.get(f.key);
        if (seen === undefined || idAfter(seen, f.after)) from.set(f.key, f.after);
      }
      let reply: Array<[string, LogChunk[]]>;
      try {
        this.reader ??= this.logs.blockingReader();
        reply = await this.reader.readMany(from, blockMs);
      } catch {
        if (this.closed) break;
        await new Promise((r) => setTimeout(r, blockMs));
        continue;
      }
      for (const [key, chunks] of reply) {
        for (const f of this.followers) {
          if (f.key !== key) continue;
          const fresh = chunks.filter((c) => idAfter(c.id, f.after));
          if (!fresh.length) continue;
          f.after = fresh[fresh.length - 1].id;
          if (f.deliver(fresh)) this.end(f);
        }
      }
    }
  }

  /** Ends every follower and drops the reader's connection (the server is closing). */
  async close(): Promise<void> {
    this.closed = true;
    for (const f of [...this.followers]) this.end(f);
    this.reader?.close();
    this.reader = null;
    await this.looping;
  }
}
