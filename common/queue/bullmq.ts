/**
 * The only module that touches BullMQ and ioredis. Everything else gets these ports injected.
 */
import { DelayedError, Queue, Worker, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { resultJobId, workJobId, type ResultMessage, type WorkJob } from './jobs.js';

export { UnrecoverableError };
export type { Job };

export const WORK_QUEUE = 'work';
export const RESULTS_QUEUE = 'results';

/** Infrastructure failures are retried with exponential backoff (BullMQ adds jitter below). */
const WORK_ATTEMPTS = 3;

export function createRedis(config: Pick<Config, 'redisUrl'>): Redis {
  // BullMQ workers block on Redis: they need maxRetriesPerRequest null to survive a Redis restart.
  return new Redis(config.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

export interface Queues {
  redis: Redis;
  work: Queue<WorkJob>;
  results: Queue<ResultMessage>;
  enqueueWork(job: WorkJob, priority?: number): Promise<void>;
  sendResult(message: ResultMessage): Promise<void>;
  close(): Promise<void>;
}

export function createQueues(config: Pick<Config, 'redisUrl' | 'prefix'>, redis = createRedis(config)): Queues {
  const opts = { connection: redis, prefix: config.prefix };
  const work = new Queue<WorkJob>(WORK_QUEUE, opts);
  const results = new Queue<ResultMessage>(RESULTS_QUEUE, opts);
  return {
    redis,
    work,
    results,
    async enqueueWork(job, priority) {
      await work.add(job.kind, job, {
        jobId: workJobId(job),
        attempts: WORK_ATTEMPTS,
        backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
        priority,
        removeOnComplete: { age: 7 * 86400, count: 20000 },
        removeOnFail: false,
      });
    },
    async sendResult(message) {
      await results.add(message.kind, message, {
        jobId: resultJobId(message),
        attempts: 10,
        backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
        removeOnComplete: { age: 86400, count: 20000 },
        removeOnFail: false,
      });
    },
    async close() {
      await Promise.allSettled([work.close(), results.close()]);
      redis.disconnect();
    },
  };
}

export interface WorkerOptions {
  concurrency: number;
  /** A worker that stops heart-beating for this long has its jobs handed to another. */
  lockDurationMs?: number;
}

export function startWorkWorker(
  config: Pick<Config, 'redisUrl' | 'prefix'>,
  processor: (job: Job<WorkJob>, signal: AbortSignal | undefined, token: string | undefined) => Promise<unknown>,
  options: WorkerOptions,
): Worker<WorkJob> {
  return new Worker<WorkJob>(WORK_QUEUE, async (job, token, signal) => processor(job, signal, token), {
    connection: createRedis(config),
    prefix: config.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    // Stalled jobs (their worker died) are looked for twice per lock period.
    stalledInterval: Math.round((options.lockDurationMs ?? 30_000) / 2),
    maxStalledCount: 2,
  });
}

export function startResultsWorker(
  config: Pick<Config, 'redisUrl' | 'prefix'>,
  handler: (message: ResultMessage) => Promise<void>,
): Worker<ResultMessage> {
  // One at a time: the server is the store's single writer and handles results in order.
  return new Worker<ResultMessage>(RESULTS_QUEUE, async (job) => handler(job.data), {
    connection: createRedis(config),
    prefix: config.prefix,
    concurrency: 1,
  });
}

/**
 * Puts an active job back in the queue without spending one of its attempts: what a worker that shuts
 * down does with the jobs it could not finish in time. Throw what this returns from the processor.
 */
export async function handBack(job: Job, token: string | undefined): Promise<Error> {
  await job.moveToDelayed(Date.now() + 1000, token);
  return new DelayedError();
}

export function isFinalAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
