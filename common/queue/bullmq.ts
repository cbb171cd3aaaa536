/**
 * The only module that touches BullMQ (with redis-data.ts, the only ones on ioredis). Everything else gets
 * these ports injected: interfaces of this module's own, never a queue, job or connection.
 */
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { DelayedError, Queue, Worker, UnrecoverableError, type Job, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { BACKENDS } from '../types.js';
import { checkMessage, laneOf, ResultMessage, resultJobId, WorkJob, workJobId, type Lane } from './jobs.js';
import { redisData, type RedisData } from './redis-data.js';

export const RESULTS_QUEUE = 'results';

/**
 * One queue per lane, so that a worker host takes only the cells it can serve (`--backends`): builds
 * on `work` (any worker builds), each backend's cells on `work-<backend>`.
 */
export const LANES: readonly Lane[] = ['build', ...BACKENDS];
export function laneQueueName(lane: Lane): string {
  return lane === 'build' ? 'work' : `work-${lane}`;
}

/** BullMQ's highest priority number (lowest priority): 2^21 - 1. */
export const LOWEST_PRIORITY = 2_097_151;

/** Infrastructure failures are retried with exponential backoff (BullMQ adds jitter below). */
const WORK_ATTEMPTS = 3;

function createRedis(config: Pick<Config, 'redisUrl'>): Redis {
  // BullMQ workers block on Redis: they need maxRetriesPerRequest null to survive a Redis restart.
  return new Redis(config.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** A job's states as BullMQ counts them (`wait`, `active`, `delayed`, `failed`, `prioritized`...). */
export type JobState = JobType;

/** A work job BullMQ gave up on: out of attempts, or unrecoverable. */
export interface FailedWork {
  data: WorkJob;
  failedReason: string | undefined;
}

/** The work queues (a lane each) and the results queue, as the server and the workers use them. */
export interface Queues {
  /** What else lives in Redis (artifacts, logs, registries, flags), on the queues' connection. */
  data: RedisData;
  /** `priority`: 1 is taken first; within a priority, first in first out. */
  enqueueWork(job: WorkJob, priority?: number): Promise<void>;
  sendResult(message: ResultMessage): Promise<void>;
  /**
   * Removes the run's jobs that no worker holds (waiting, prioritized, delayed) from every lane; returns
   * how many. A job a worker took meanwhile stays: the worker sees the run's cancel flag and ends it.
   */
  dropRunJobs(runId: string): Promise<number>;
  /** Each lane's failed jobs at indexes 0 to `last`. */
  failedWork(last: number): Promise<FailedWork[]>;
  /** A lane's (or the results queue's) jobs by state: the states asked for, or every state. */
  jobCounts(queue: Lane | 'results', states?: readonly JobState[]): Promise<Record<string, number>>;
  /** The queues for the queue board (bull-board), every lane then results. */
  boardQueues(readOnlyMode: boolean): BaseAdapter[];
  close(): Promise<void>;
}

/** The states of a job no worker holds. */
const UNCLAIMED_STATES = ['waiting', 'prioritized', 'delayed', 'waiting-children'] as const;

export function createQueues(config: Pick<Config, 'redisUrl' | 'prefix'>): Queues {
  const redis = createRedis(config);
  const opts = { connection: redis, prefix: config.prefix };
  const lanes = Object.fromEntries(LANES.map((lane) => [lane, new Queue<WorkJob>(laneQueueName(lane), opts)])) as Record<Lane, Queue<WorkJob>>;
  const results = new Queue<ResultMessage>(RESULTS_QUEUE, opts);
  const queueOf = (name: Lane | 'results'): Queue => (name === 'results' ? results : lanes[name]);
  return {
    data: redisData(redis, config.prefix),
    async enqueueWork(job, priority) {
      await lanes[laneOf(job)].add(job.kind, job, {
        jobId: workJobId(job),
        attempts: WORK_ATTEMPTS,
        backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
        priority: priority === undefined ? undefined : Math.max(1, Math.min(LOWEST_PRIORITY, Math.round(priority))),
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
    async dropRunJobs(runId) {
      let dropped = 0;
      for (const queue of Object.values(lanes)) {
        const jobs = await queue.getJobs([...UNCLAIMED_STATES]);
        for (const job of jobs) {
          if (job?.data?.runId !== runId) continue;
          // Taken by a worker since the listing: it is locked and stays; the worker's cancel watch ends it.
          const removed = await job.remove().then(() => true, () => false);
          if (removed) dropped++;
        }
      }
      return dropped;
    },
    async failedWork(last) {
      const failed = (await Promise.all(Object.values(lanes).map((q) => q.getFailed(0, last)))).flat();
      return failed.filter((job) => job?.data).map((job) => ({ data: job.data, failedReason: job.failedReason }));
    },
    jobCounts: (name, states = []) => queueOf(name).getJobCounts(...states),
    boardQueues: (readOnlyMode) => [...Object.values(lanes), results].map((q) => new BullMQAdapter(q, { readOnlyMode })),
    async close() {
      await Promise.allSettled([...Object.values(lanes).map((q) => q.close()), results.close()]);
      redis.disconnect();
    },
  };
}

export interface WorkerOptions {
  /** Jobs at once across every lane this worker serves. */
  concurrency: number;
  /** The lanes (build, backends) this worker takes jobs from. */
  lanes: readonly Lane[];
  /** A worker that stops heart-beating for this long has its jobs handed to another. */
  lockDurationMs?: number;
  /** Called when a job takes or gives back a slot, with the slots in use. */
  onSlots?: (busy: number) => void;
}

/** A work job as a worker's processor sees it. */
export interface WorkItem {
  id: string | undefined;
  data: WorkJob;
  /** Attempts made before this one. */
  attemptsMade: number;
  /** When it was added, and when this attempt began (ms since the epoch). */
  timestamp: number;
  processedOn: number | undefined;
  /** No retry follows if this attempt fails. */
  isFinalAttempt(): boolean;
  /**
   * Puts the job back in the queue without spending one of its attempts: what a worker that shuts down
   * does with the jobs it could not finish in time. Throw what this returns from the processor.
   */
  handBack(): Promise<Error>;
}

/** An error that ends a job for good from its processor: no retry. */
export function unrecoverable(reason: string): Error {
  return new UnrecoverableError(reason);
}

function workItem(job: Job<WorkJob>, data: WorkJob, token: string | undefined): WorkItem {
  // Read through to the job: BullMQ updates it as the attempt goes (its data, checked once, it does not).
  return {
    get id() {
      return job.id;
    },
    data,
    get attemptsMade() {
      return job.attemptsMade;
    },
    get timestamp() {
      return job.timestamp;
    },
    get processedOn() {
      return job.processedOn;
    },
    isFinalAttempt: () => isFinalAttempt(job),
    handBack: () => handBack(job, token),
  };
}

/** The BullMQ workers of one `compat worker`, one per lane, sharing its slots. */
export interface WorkWorkers {
  on(event: 'error', listener: (error: Error) => void): void;
  waitUntilReady(): Promise<void>;
  /** Running jobs are aborted (their AbortSignal fires). */
  cancelAllJobs(reason: string): void;
  close(): Promise<void>;
}

/**
 * One BullMQ worker per lane, each allowed the whole concurrency, and a shared count of busy slots:
 * when every slot is busy the lanes stop fetching (pause), when one frees they resume. A lane that had
 * a fetch in flight when the others filled the slots hands its job straight back, untouched.
 */
export function startWorkWorkers(
  config: Pick<Config, 'redisUrl' | 'prefix'>,
  processor: (job: WorkItem, signal: AbortSignal | undefined) => Promise<unknown>,
  options: WorkerOptions,
): WorkWorkers {
  let busy = 0;
  let paused = false;
  const workers: Array<Worker<WorkJob>> = [];
  const setPaused = (value: boolean) => {
    if (paused === value) return;
    paused = value;
    for (const w of workers) void (value ? w.pause(true) : w.resume()).catch(() => undefined);
  };
  const lockDuration = options.lockDurationMs ?? 30_000;
  for (const lane of options.lanes) {
    const worker = new Worker<WorkJob>(
      laneQueueName(lane),
      async (job, token, signal) => {
        if (busy >= options.concurrency) throw await handBack(job, token);
        busy++;
        options.onSlots?.(busy);
        if (busy >= options.concurrency) setPaused(true);
        try {
          // A job of the wrong shape would fail the same way on every attempt: end it now, naming the field.
          let data: WorkJob;
          try {
            data = checkMessage(WorkJob, job.data, `work job ${job.id}`);
          } catch (error) {
            throw new UnrecoverableError((error as Error).message);
          }
          return await processor(workItem(job, data, token), signal);
        } finally {
          busy--;
          options.onSlots?.(busy);
          if (busy < options.concurrency) setPaused(false);
        }
      },
      {
        connection: createRedis(config),
        prefix: config.prefix,
        concurrency: options.concurrency,
        lockDuration,
        // Stalled jobs (their worker died) are looked for twice per lock period.
        stalledInterval: Math.round(lockDuration / 2),
        maxStalledCount: 2,
      },
    );
    workers.push(worker);
  }
  return {
    on(event, listener) {
      for (const w of workers) w.on(event, listener);
    },
    async waitUntilReady() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    cancelAllJobs(reason) {
      for (const w of workers) w.cancelAllJobs(reason);
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

/** Result messages fetched at once by the server. */
const RESULTS_CONCURRENCY = 16;

/** The server's consumer of result messages. */
export interface ResultsWorker {
  on(event: 'error', listener: (error: Error) => void): void;
  close(): Promise<void>;
}

export function startResultsWorker(
  config: Pick<Config, 'redisUrl' | 'prefix'>,
  handler: (message: ResultMessage) => Promise<void>,
): ResultsWorker {
  // Several fetched at once, so Redis round trips overlap; the handler applies them one at a time (the
  // orchestrator takes turns), and applying is order-insensitive: a result is recorded once, a start
  // never overwrites a finished side.
  // A message of the wrong shape is never applied: it fails for good, naming the field, and stays in the
  // results queue's failed set for an operator to read.
  return new Worker<ResultMessage>(RESULTS_QUEUE, async (job) => {
    let message: ResultMessage;
    try {
      message = checkMessage(ResultMessage, job.data, `result ${job.id}`);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    return handler(message);
  }, {
    connection: createRedis(config),
    prefix: config.prefix,
    concurrency: RESULTS_CONCURRENCY,
  });
}

/** See {@link WorkItem.handBack}. */
async function handBack(job: Job, token: string | undefined): Promise<Error> {
  await job.moveToDelayed(Date.now() + 1000, token);
  return new DelayedError();
}

function isFinalAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
