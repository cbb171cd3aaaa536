/**
 * Handlers return `{ status, body }`; one place sends them, and one error handler turns anything
 * unexpected into a 500 with a correlation id (the stack goes to the log, never to the client).
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../../common/logger.js';
import { zodProblem } from '../../common/zod-problem.js';
import { MatrixError } from '../../common/matrix/load.js';
import { redactDeep } from '../../common/redact.js';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A request's part checked against its schema, or 400 naming the first problem (`query.limit: ...`). */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpError(400, zodProblem(where, result.error));
}

export function route(fn: (req: Request, res: Response) => Promise<Reply | void> | Reply | void) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const reply = await fn(req, res);
      if (!reply || res.headersSent) return;
      if (reply.headers) res.set(reply.headers);
      res.status(reply.status);
      if (reply.body === undefined) res.end();
      else res.json(reply.body);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Every JSON answer of the app (API, webhooks, queue board, errors) leaves through `res.json`: this takes
 * the credentials out of any URL in it there, whoever wrote the answer.
 */
export function redactJsonAnswers(_req: Request, res: Response, next: NextFunction): void {
  const json = res.json.bind(res);
  res.json = (body?: unknown) => json(redactDeep(body));
  next();
}

export function errorHandler(log: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: error.message, ...error.extra });
      return;
    }
    const e = error as { type?: string; status?: number; message?: string };
    // body-parser's own errors: a body too large or not JSON is the client's fault.
    if (e?.type === 'entity.too.large') {
      res.status(413).json({ error: 'request body is over the size limit' });
      return;
    }
    if (e?.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'request body is not valid JSON' });
      return;
    }
    const correlationId = randomUUID();
    // The operator's matrix.yaml is at fault, not the request: say where, as `compat validate` would.
    if (error instanceof MatrixError) {
      log.error({ err: error, correlationId }, 'The matrix the server reads is invalid');
      res.status(500).json({ error: `the server's matrix is invalid: ${error.message}`, correlationId });
      return;
    }
    log.error({ err: error, correlationId }, 'Unhandled error in HTTP handler');
    res.status(500).json({ error: 'internal error', correlationId });
  };
}
