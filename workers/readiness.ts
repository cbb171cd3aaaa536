/**
 * A worker's `/readyz` (served beside /metrics on `--metrics-port`): whether the engine and Redis
 * answer (each a check: a failing one gives 503), and what the operator should know that does not stop
 * the worker (warnings: 200). A container the engine refuses to remove is such a warning: it costs disk
 * until the host's mounts are cleared, never a cell (container/removal.ts).
 */
import type { HeldContainer } from './container/removal.js';

export interface ReadinessPorts {
  /** Resolves when the Docker engine answers. */
  pingEngine(): Promise<unknown>;
  /** Resolves when Redis answers. */
  pingRedis(): Promise<unknown>;
  /** Containers the engine refuses to remove. */
  heldContainers(): HeldContainer[];
  /** How long a check may take before it counts as failed. @defaultValue 3000 */
  timeoutMs?: number;
}

export type ReadinessWarning = { kind: 'engine-held-container'; message: string } & HeldContainer;

export interface Readiness {
  ok: boolean;
  checks: { engine: boolean; redis: boolean };
  warnings: ReadinessWarning[];
}

export async function workerReadiness(ports: ReadinessPorts): Promise<Readiness> {
  const timeoutMs = ports.timeoutMs ?? 3000;
  const check = async (ping: () => Promise<unknown>) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), timeoutMs)))]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  const [engine, redis] = await Promise.all([check(ports.pingEngine), check(ports.pingRedis)]);
  const warnings = ports.heldContainers().map(
    (held): ReadinessWarning => ({
      kind: 'engine-held-container',
      message: `the engine refuses to remove container ${held.name ?? held.id} since ${held.since}: ${held.error}`,
      ...held,
    }),
  );
  return { ok: engine && redis, checks: { engine, redis }, warnings };
}
