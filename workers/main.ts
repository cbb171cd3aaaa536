/**
 * `compat worker` as a process. SIGTERM stops taking jobs and lets running cells finish within a
 * deadline; past it, their jobs are handed back to the queue for another worker.
 */
import type { Config } from '../common/config.js';
import { logger } from '../common/logger.js';
import { startWorker } from './worker.js';

/** How long SIGTERM waits for running cells. @defaultValue 60 s (env COMPAT_SHUTDOWN_SECONDS) */
const SHUTDOWN_MS = Number(process.env.COMPAT_SHUTDOWN_SECONDS ?? 60) * 1000;

export async function startWorkerProcess(config: Config, concurrency: number): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new Error(`--concurrency must be a whole number from 1 to 64, got ${concurrency}`);
  }
  const handle = await startWorker(config, { concurrency });
  process.stderr.write(`compat worker ${handle.id}: concurrency ${concurrency}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, deadlineMs: SHUTDOWN_MS }, 'Worker stopping');
    await handle.close(SHUTDOWN_MS).catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
