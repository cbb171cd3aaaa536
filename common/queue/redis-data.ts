/**
 * What crosses Redis besides jobs: built artifacts (so a worker host needs nothing but Redis and Docker
 * to get them), cell logs (a Redis stream per side, so the server can stream them live), the workers'
 * heartbeats and database registries, cancel flags and the matrix's limits. Callers get these as
 * {@link RedisData}, never the connection: the key names stay in keys.ts and the commands here.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ResolvedMatrix } from '../matrix/load.js';
import { BACKENDS, type Backend } from '../types.js';
import { checkMessage } from './jobs.js';
import { artifactRedisKey, cancelledKey, databasesKey, matrixNeedsKey, spareDatabasesKey, workerHeartbeatKey } from './keys.js';

/** Everything a server or a worker keeps in Redis besides its queues, on one shared connection. */
export interface RedisData {
  artifacts: ArtifactStore;
  matrixNeeds: MatrixNeeds;
  cancels: CancelledRuns;
  logs: LogStreams;
  workers: WorkerRegistry;
  /** Resolves when Redis answers. */
  ping(): Promise<unknown>;
}

/** The adapter on a connection the caller owns (and closes). */
export function redisData(redis: Redis, prefix: string): RedisData {
  return {
    artifacts: new ArtifactStore(redis, prefix),
    matrixNeeds: new MatrixNeeds(redis, prefix),
    cancels: new CancelledRuns(redis, prefix),
    logs: logStreams(redis),
    workers: workerRegistry(redis, prefix),
    ping: () => redis.ping(),
  };
}

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
const CellNeedsSchema = z.object({ backends: z.array(z.enum(BACKENDS)), cpus: z.number(), memoryMb: z.number() });
export type CellNeeds = z.infer<typeof CellNeedsSchema>;

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
    return matrixNeedsKey(this.prefix);
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
    // What an older or damaged publication holds counts as none published: the worker sizes itself by its defaults.
    const checked = z.array(CellNeedsSchema).safeParse(parsed);
    return checked.success ? checked.data : null;
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

/** Reads log streams. */
export interface LogReader {
  /** A stream's entries from `after` on; blocks up to `blockMs` for new entries when asked. */
  read(key: string, after?: string, blockMs?: number): Promise<LogChunk[]>;
}

/** The log streams of sides, builds and bisect steps. */
export interface LogStreams extends LogReader {
  /** A writer appending to the stream `key`, keeping at most `limitBytes` of text. */
  open(key: string, limitBytes: number): LogWriter;
  /**
   * A reader on a connection of its own (a blocking read holds its connection), made when called;
   * the caller closes it.
   */
  blockingReader(): BlockingLogReader;
}

/** Blocking reads of many streams at once, on a connection of their own. */
export interface BlockingLogReader {
  /** Each stream's entries after its id in `from`, waiting up to `blockMs` for any; [] when none came. */
  readMany(from: ReadonlyMap<string, string>, blockMs: number): Promise<Array<[string, LogChunk[]]>>;
  close(): void;
}

type StreamEntries = Array<[string, string[]]>;

function chunksOf(entries: StreamEntries): LogChunk[] {
  return entries.map(([id, fields]) => {
    const map: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) map[fields[i]] = fields[i + 1];
    return { id, data: map.data, eof: map.eof === '1' };
  });
}

async function readLog(redis: Redis, key: string, after = '0', blockMs = 0): Promise<LogChunk[]> {
  const reply = blockMs > 0
    ? await redis.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', key, after)
    : await redis.xread('COUNT', 500, 'STREAMS', key, after);
  if (!reply) return [];
  const [, entries] = reply[0] as [string, StreamEntries];
  return chunksOf(entries);
}

function logStreams(redis: Redis): LogStreams {
  return {
    read: (key, after, blockMs) => readLog(redis, key, after, blockMs),
    open: (key, limitBytes) => new LogWriter(redis, key, limitBytes),
    blockingReader() {
      const reader = redis.duplicate();
      return {
        async readMany(from, blockMs) {
          const reply = (await reader.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', ...from.keys(), ...from.values())) as Array<[string, StreamEntries]> | null;
          return (reply ?? []).map(([key, entries]) => [key, chunksOf(entries)]);
        },
        close: () => reader.disconnect(),
      };
    },
  };
}

/**
 * The workers' heartbeats and the cell databases they hold: what a janitor on any host reads to tell a
 * dead worker's leftovers from a live one's. A database's info is its owner's JSON (worker, backend,
 * image, run).
 */
export interface WorkerRegistry {
  /** Says the worker is alive for `ttlSeconds`. */
  beat(workerId: string, ttlSeconds: number): Promise<void>;
  isAlive(workerId: string): Promise<boolean>;
  /** The worker is gone: its heartbeat is dropped. */
  forget(workerId: string): Promise<void>;
  /** A cell database a running cell holds. */
  registerDatabase(name: string, info: RegisteredDatabaseInfo): Promise<void>;
  /** A spare database made ahead, that no cell holds yet. */
  registerSpare(name: string, info: RegisteredDatabaseInfo): Promise<void>;
  /** A spare taken by a cell: registered as the cell's, no longer a spare. */
  claimSpare(name: string, info: RegisteredDatabaseInfo): Promise<void>;
  /** Dropped: neither a cell's nor a spare. */
  unregisterDatabase(name: string): Promise<void>;
  /** Every registered database (spares and cells'), its info checked; an entry of the wrong shape throws, naming it. */
  databases(): Promise<RegisteredDatabase[]>;
}

/** What the registry keeps of a database: the worker that made it, its server, the run holding it (none for a spare). */
export const RegisteredDatabaseInfo = z.object({
  worker: z.string(),
  backend: z.enum(['mysql', 'postgres']),
  image: z.string(),
  run: z.string().optional(),
});
export type RegisteredDatabaseInfo = z.infer<typeof RegisteredDatabaseInfo>;
export type RegisteredDatabase = RegisteredDatabaseInfo & { name: string };

function workerRegistry(redis: Redis, prefix: string): WorkerRegistry {
  const cells = databasesKey(prefix);
  const spares = spareDatabasesKey(prefix);
  return {
    async beat(workerId, ttlSeconds) {
      await redis.set(workerHeartbeatKey(prefix, workerId), String(Date.now()), 'EX', ttlSeconds);
    },
    async isAlive(workerId) {
      return (await redis.exists(workerHeartbeatKey(prefix, workerId))) === 1;
    },
    async forget(workerId) {
      await redis.del(workerHeartbeatKey(prefix, workerId));
    },
    async registerDatabase(name, info) {
      await redis.hset(cells, name, JSON.stringify(info));
    },
    async registerSpare(name, info) {
      await redis.hset(spares, name, JSON.stringify(info));
    },
    async claimSpare(name, info) {
      await redis.multi().hset(cells, name, JSON.stringify(info)).hdel(spares, name).exec();
    },
    async unregisterDatabase(name) {
      await redis.multi().hdel(cells, name).hdel(spares, name).exec();
    },
    async databases() {
      const raw = { ...(await redis.hgetall(spares)), ...(await redis.hgetall(cells)) };
      return Object.entries(raw).map(([name, json]) => {
        const where = `registered database "${name}"`;
        let value: unknown;
        try {
          value = JSON.parse(json);
        } catch (error) {
          throw new Error(`${where}: not JSON: ${(error as Error).message}`);
        }
        return { name, ...checkMessage(RegisteredDatabaseInfo, value, where) };
      });
    },
  };
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
    return cancelledKey(this.prefix, runId);
  }

  async mark(runId: string): Promise<void> {
    await this.redis.set(this.key(runId), String(Date.now()), 'EX', CANCEL_TTL_SECONDS);
  }

  async has(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(runId))) === 1;
  }
}
