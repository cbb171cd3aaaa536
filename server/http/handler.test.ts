/**
 * The one error handler: the client's faults are 4xx, an invalid matrix on the server names its file and
 * field, anything else is a 500 with a correlation id and nothing of the error in the answer.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../common/logger.js';
import { MatrixError } from '../../common/matrix/load.js';
import { errorHandler, HttpError, route } from './handler.js';

let base: string;
let close: () => void;

beforeAll(async () => {
  const app = express();
  app.get('/matrix', route(() => {
    throw new MatrixError([{ file: '/srv/matrix.yaml', line: 7, col: 9, path: 'libraries.0.consumers.0.test', message: 'required field is missing' }]);
  }));
  app.get('/teapot', route(() => {
    throw new HttpError(418, 'no coffee here');
  }));
  app.get('/bug', route(() => {
    throw new Error('secret internals');
  }));
  app.use(errorHandler(logger));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});

afterAll(() => close?.());

async function get(route: string) {
  const res = await fetch(base + route);
  return { status: res.status, body: (await res.json()) as { error: string; correlationId?: string } };
}

describe('errorHandler', () => {
  it('names the file, line and field of an invalid server matrix', async () => {
    const { status, body } = await get('/matrix');
    expect(status).toBe(500);
    expect(body.error).toContain('/srv/matrix.yaml:7:9: libraries.0.consumers.0.test: required field is missing');
    expect(body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an HttpError with its own status and message', async () => {
    expect(await get('/teapot')).toEqual({ status: 418, body: { error: 'no coffee here' } });
  });

  it('keeps anything else out of the answer', async () => {
    const { status, body } = await get('/bug');
    expect(status).toBe(500);
    expect(body.error).toBe('internal error');
    expect(JSON.stringify(body)).not.toContain('secret internals');
  });
});
