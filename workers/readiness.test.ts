import { describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { ContainerRemovals } from './container/removal.js';
import { WorkerMetrics } from './metrics/metrics.js';
import { workerReadiness } from './readiness.js';
import { engineRefusal } from './container/engine-errors.test-helper.js';

const ID = '3f9c2a7d1b5e';

/** A worker's metrics server, its removals on a fake engine that refuses one container. */
async function served(options: { engineUp?: boolean } = {}) {
  const removals = new ContainerRemovals({
    remove: async (id) => {
      if (id === ID) throw engineRefusal(id);
    },
    log: pino({ level: 'silent' }),
  });
  const metrics = new WorkerMetrics(2);
  metrics.countHeldContainers(() => removals.held().length);
  const server = await metrics.serve(0, '127.0.0.1', () =>
    workerReadiness({
      pingEngine: async () => {
        if (options.engineUp === false) throw new Error('connect ECONNREFUSED');
      },
      pingRedis: async () => 'PONG',
      heldContainers: () => removals.held(),
    }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { removals, url, close: () => new Promise((r) => server.close(r)) };
}

const stuckGauge = (text: string) => Number(/^compat_worker_engine_stuck_containers (\d+)$/m.exec(text)?.[1]);

describe("a worker's /readyz and metrics", () => {
  it('name a container the engine holds as a warning, not a failure, and count it', async () => {
    const w = await served();
    try {
      expect(stuckGauge(await (await fetch(`${w.url}/metrics`)).text())).toBe(0);
      expect(await (await fetch(`${w.url}/readyz`)).json()).toEqual({ ok: true, checks: { engine: true, redis: true }, warnings: [] });
      await w.removals.remove('other', 'cell-other');
      await w.removals.remove(ID, 'cell-x-slow.sqlite-candidate-0');
      const res = await fetch(`${w.url}/readyz`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { ok: boolean; warnings: Array<Record<string, unknown>> };
      expect(body.ok).toBe(true);
      expect(body.warnings).toEqual([
        expect.objectContaining({
          kind: 'engine-held-container',
          id: ID,
          name: 'cell-x-slow.sqlite-candidate-0',
          error: expect.stringContaining('driver "overlay2" failed to remove root filesystem'),
          since: expect.any(String),
          message: expect.stringMatching(/^the engine refuses to remove container cell-x-slow\.sqlite-candidate-0 since .*device or resource busy$/),
        }),
      ]);
      expect(stuckGauge(await (await fetch(`${w.url}/metrics`)).text())).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('an engine that does not answer is a failed check (503)', async () => {
    const w = await served({ engineUp: false });
    try {
      const res = await fetch(`${w.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ok: false, checks: { engine: false, redis: true } });
    } finally {
      await w.close();
    }
  });
});
