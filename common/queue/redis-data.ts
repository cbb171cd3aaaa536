/**
 * What crosses Redis besides jobs: built artifacts (so a worker host needs nothing but Redis and Docker
 * to get them) and cell logs (a Redis stream per side, so the server can stream them live).
 */
import type { Redis } from 'ioredis';
import type { ResolvedMatrix } from '../matrix/load.js';
import type { Backend } from '../types.js';
import { artifactRedisKey } from './jobs.js';

/** The Redis client type, for code that is handed a connection (queues.redis) without importing ioredis. */
export type { Redis };

const ARTIFACT_TTL_SECONDS = 14 * 86400;
const LOG_TTL_SECONDS = 2 * 86400;

export class ArtifactStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async files(artifactKey: string): Promise<string[] | null> {
    const names = await this.redis.hkeys(artifactRedisKey(this.prefix, artifactKey));
    return names.length > 0 ? names.sort() : null;
  }

  async put(artifactKey: string, files: Map<string, Buffer>): Promise<void> {
    const key = artifactRedisKey(this.prefix, artifactKey);
    const multi = this.redis.multi().del(key);
    for (const [name, data] of files) multi.hset(key, name, data);
    multi.expire(key, ARTIFACT_TTL_SECONDS);
    await multi.exec();
  }

  async get(artifactKey: string): Promise<Map<string, Buffer> | null> {
    const key = artifactRedisKey(this.prefix, artifactKey);
    const raw = await this.redis.hgetallBuffer(key);
    const entries = Object.entries(raw);
    if (entries.length === 0) return null;
    await this.redis.expire(key, ARTIFACT_TTL_SECONDS);
    return new Map(entries.map(([name, data]) => [name, data]));
  }
}

/** What one consumer's cells may take of a host: what a worker sizes its default concurrency by. */
export interface CellNeeds {
  backends: Backend[];
  cpus: number;
  memoryMb: number;
}

/**
 * The matrix's resource limits, published by the server (at start and with each run it plans), so a
 * worker host without the matrix file knows how many cells it can take.
 */
export class MatrixNeeds {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get key(): string {
    return `${this.prefix}:matrix-needs`;
  }

  static of(matrix: ResolvedMatrix): CellNeeds[] {
    return matrix.libraries.flatMap((l) =>
      l.consumers.map((c) => ({ backends: c.backends as Backend[], cpus: c.resources.cpus, memoryMb: c.resources.memoryMb })),
    );
  }

  async publish(matrix: ResolvedMatrix): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(MatrixNeeds.of(matrix)));
  }

  /** null when no server has published yet. */
  async read(): Promise<CellNeeds[] | null> {
    const raw = await this.redis.get(this.key);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as CellNeeds[]) : null;
  }
}

/** Appends a side's output to a Redis stream; the last entry is `eof` so readers know it ended. */
export class LogWriter {
  private pending: string[] = [];
  private bytes = 0;
  private truncated = false;
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly limitBytes: number,
  ) {}

  /** Text only: a worker decodes (and masks) a container's output per stream before it gets here. */
  write(masked: string): void {
    if (this.truncated || !masked) return;
    if (this.bytes + masked.length > this.limitBytes) {
      const room = Math.max(0, this.limitBytes - this.bytes);
      this.pending.push(masked.slice(0, room), `\n[compat-matrix: log truncated at ${this.limitBytes} bytes; the rest was dropped]\n`);
      this.bytes = this.limitBytes;
      this.truncated = true;
    } else {
      this.pending.push(masked);
      this.bytes += masked.length;
    }
    this.timer ??= setTimeout(() => void this.flush(), 200);
  }

  get isTruncated(): boolean {
    return this.truncated;
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const text = this.pending.join('');
    this.pending = [];
    if (text) {
      this.flushing = this.flushing
        .then(() => this.redis.xadd(this.key, '*', 'data', text))
        .then(() => this.redis.expire(this.key, LOG_TTL_SECONDS))
        .then(() => undefined)
        .catch(() => undefined); // a lost log chunk must never fail the cell
    }
    return this.flushing;
  }

  async end(): Promise<void> {
    await this.flush();
    await this.redis.xadd(this.key, '*', 'eof', '1').catch(() => undefined);
    await this.redis.expire(this.key, LOG_TTL_SECONDS).catch(() => undefined);
  }
}

export interface LogChunk {
  id: string;
  data?: string;
  eof?: boolean;
}

/** Reads a log stream from `after` on; blocks up to `blockMs` for new entries when asked. */
export async function readLog(redis: Redis, key: string, after = '0', blockMs = 0): Promise<LogChunk[]> {
  const reply = blockMs > 0
    ? await redis.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', key, after)
    : await redis.xread('COUNT', 500, 'STREAMS', key, after);
  if (!reply) return [];
  const [, entries] = reply[0] as [string, Array<[string, string[]]>];
  return entries.map(([id, fields]) => {
    const map: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) map[fields[i]] = fields[i + 1];
    return { id, data: map.data, eof: map.eof === '1' };
  });
}

/** How long a run's cancel flag is kept: longer than any job of it could wait in a queue or be retried. */
const CANCEL_TTL_SECONDS = 14 * 86400;

/**
 * Runs cancelled by `compat cancel`, as workers see them: a flag per run in Redis, set by the server
 * before it drops the run's queued jobs, so a job taken meanwhile (or handed to another worker after its
 * first one died) finds it. The store's `cancel` is the record; this is its notice to the workers.
 */
export class CancelledRuns {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(runId: string): string {
    return `${this.prefix}:cancelled:${runId}`;
  }

  async mark(runId: string): Promise<void> {
    await this.redis.set(this.key(runId), String(Date.now()), 'EX', CANCEL_TTL_SECONDS);
  }

  async has(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(runId))) === 1;
  }
}
