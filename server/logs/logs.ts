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
import { readLog, type Redis } from '../../common/queue/redis-data.js';
import { lineRedactor, redactText } from '../../common/redact.js';

export function logFile(dataDir: string, runId: string, cellId: string, side: string, attempt: number): string {
  return path.join(dataDir, 'logs', runId, `${cellId}.${side}.${attempt}.log`);
}

/** A bisect step's log, once archived. */
export function bisectStepLogFile(dataDir: string, runId: string, consumer: string, seq: number): string {
  return path.join(dataDir, 'logs', runId, 'bisect', `${consumer}.${seq}.log`);
}

/** Copies a finished side's stream to its file, so the log outlives Redis's retention. */
export async function archiveLog(redis: Redis, key: string, file: string): Promise<void> {
  const parts: string[] = [];
  let after = '0';
  for (;;) {
    const chunks = await readLog(redis, key, after);
    if (chunks.length === 0) break;
    for (const chunk of chunks) if (chunk.data) parts.push(chunk.data);
    after = chunks[chunks.length - 1].id;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, redactText(parts.join('')));
}

/** Streams a log to an HTTP response, following it until its end marker when `follow`. */
export async function streamLog(res: Response, redis: Redis, key: string, file: string, follow: boolean, maxWaitMs = 30 * 60_000): Promise<void> {
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
  let closed = false;
  res.on('close', () => (closed = true));
  let after = '0';
  const deadline = Date.now() + maxWaitMs;
  // A blocking read needs a connection of its own.
  const reader = follow ? redis.duplicate() : redis;
  try {
    while (!closed && Date.now() < deadline) {
      const chunks = await readLog(reader, key, after, follow ? 2000 : 0);
      for (const chunk of chunks) {
        if (chunk.data) res.write(redactor.push(chunk.data));
        after = chunk.id;
        if (chunk.eof) {
          res.end(redactor.end());
          return;
        }
      }
      if (!follow && chunks.length === 0) break;
    }
    res.end(redactor.end());
  } finally {
    if (reader !== redis) reader.disconnect();
  }
}
