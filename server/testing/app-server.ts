/**
 * The route table served on loopback over a unit harness (in-memory store, fake ports), for tests that
 * speak HTTP to it: no Redis, Docker or git. Closing it removes its data folder.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../common/config.js';
import { logger } from '../../common/logger.js';
import type { Queues } from '../../common/queue/bullmq.js';
import type { Tokens } from '../auth/tokens.js';
import { createApp } from '../http/app.js';
import type { LogFollowers } from '../logs/followers.js';
import type { Metrics } from '../metrics/metrics.js';
import type { harness } from './harness.js';

export interface HarnessApp {
  /** `http://127.0.0.1:PORT` */
  base: string;
  close(): Promise<void>;
}

export async function serveHarness(h: ReturnType<typeof harness>, tokens: Tokens, name: string): Promise<HarnessApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `compat-${name}-`));
  const app = createApp({
    config: loadConfig({ dataDir }),
    store: h.store,
    queues: { data: { logs: { read: async () => [] } } } as unknown as Queues,
    orchestrator: h.orchestrator,
    tokens,
    metrics: { runsCreated: { inc: () => undefined } } as unknown as Metrics,
    matrix: () => h.matrix,
    ready: async () => ({ redis: true }),
    events: new EventEmitter(),
    log: logger,
    followers: {} as LogFollowers,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
