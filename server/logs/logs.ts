/**
 * Cell logs: live from the worker's Redis stream while a side runs, from a file in the data directory
 * once it is archived. Both paths write plain text to the response as it comes, with credentials taken
 * out of any URL a suite printed.
 */
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Response } from 'express';
import type { LogChunk, LogReader } from '../../common/queue/redis-data.js';
import { lineRedactor, redactText } from '../../common/redact.js';
import type { LogFollowers } from './followers.js';

export function logFile(dataDir: string, runId: string, cellId: string, side: string, attempt: number): string {
  return path.join(dataDir, 'logs', runId, `${cellId}.${side}.${attempt}.log`);
}

/** A bisect step's log, once archived. */
export function bisectStepLogFile(dataDir: string, runId: string, consumer: string, seq: number): string {
  return path.join(dataDir, 'logs', runId, 'bisect', `${consumer}.${seq}.log`);
}

/** Copies a finished side's stream to its file, so the log outlives Redis's retention. */
export async function archiveLog(logs: LogReader, key: string, file: string): Promise<void> {
  const parts: string[] = [];
  let after = '0';
  for (;;) {
    const chunks = await logs.read(key, after);
    if (chunks.length === 0) break;
    for (const chunk of chunks) if (chunk.data) parts.push(chunk.data);
    after = chunks[chunks.length - 1].id;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, redactText(parts.join('')));
}

/** How a log is followed: through the server's one follower hub, while its side is live. */
export interface FollowOptions {
  followers: LogFollowers;
  /** Whether the side may still write to this log (not finished, not unknown). */
  live(): boolean;
  /** @defaultValue 30 minutes */
  maxWaitMs?: number;
}

/**
 * Streams a log to an HTTP response: the archived file if there is one, else what Redis has; with
 * `follow`, then what comes, until the end marker or the side stops being live. A log that is missing
 * for a side that is finished or unknown answers at once (empty).
 */
export async function streamLog(res: Response, logs: LogReader, key: string, file: string, follow: FollowOptions | null): Promise<void> {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const redactor = lineRedactor();
  if (existsSync(file)) {
    // Decoded as one stream: a character split between two reads stays whole.
    const decoder = new StringDecoder('utf8');
    const redacting = new Transform({
      transform(chunk: Buffer, _enc, done) {
        done(null, redactor.push(decoder.write(chunk)));
      },
      flush(done) {
        done(null, redactor.push(decoder.end()) + redactor.end());
      },
    });
    createReadStream(file).pipe(redacting).pipe(res);
    return;
  }
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  let after = '0';
  let ended = false;
  const deliver = (chunks: LogChunk[]): boolean => {
    for (const chunk of chunks) {
      if (chunk.data) res.write(redactor.push(chunk.data));
      after = chunk.id;
      if (chunk.eof) return (ended = true);
    }
    return false;
  };
  // What is there now, on the shared connection (no blocking read).
  for (;;) {
    const chunks = await logs.read(key, after);
    if (deliver(chunks) || chunks.length < 500 || gone.signal.aborted) break;
  }
  if (!ended && follow && !gone.signal.aborted && follow.live()) {
    // The client learns at once that it is following, before any of the log comes.
    res.flushHeaders();
    await follow.followers.follow({ key, after, live: follow.live, deliver, deadline: Date.now() + (follow.maxWaitMs ?? 30 * 60_000) }, gone.signal);
  }
  if (!res.writableEnded) res.end(redactor.end());
}
