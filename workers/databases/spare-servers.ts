/**
 * Dedicated servers started ahead of time, for suites with a fixed connection. Such a suite connects to
 * 127.0.0.1 with set credentials, so it gets a server of its own, and that server's start (a data
 * directory made, the server booted, the fixed user and setup SQL run) is nearly all of its side's
 * overhead. When a cell takes one, the next is started in the background for the same backend, image,
 * connection and memory; a cell arriving while it still boots waits for it rather than starting another.
 * Each is handed to exactly one cell and removed after it, so isolation is as before. Spares carry the
 * worker's label (a janitor removes a dead worker's), and are removed when the worker stops and when
 * none was taken for `idleMs`.
 */
import type { FixedConnectionConfig } from '../../common/matrix/schema.js';
import type { Logger } from '../../common/logger.js';
import type { CellDatabase, Owner, ServerBackend } from './servers.js';

/** What a spare's labels say in place of a run and a cell: nobody's yet. */
export const SPARE_OWNER = 'spare';

export interface SpareServerPorts {
  start(backend: ServerBackend, image: string, fixed: FixedConnectionConfig, owner: Owner, limits: { memoryMb: number }): Promise<CellDatabase>;
  log: Logger;
}

interface Spare {
  server: Promise<CellDatabase>;
  expiry: NodeJS.Timeout;
}

export class SpareServers {
  private readonly spares = new Map<string, Spare>();
  private closed = false;

  constructor(
    private readonly ports: SpareServerPorts,
    private readonly worker: { prefix: string; worker: string },
    private readonly idleMs = 10 * 60_000,
  ) {}

  /** A server of its own for the cell `owner` names: the spare when there is one, else started now. Either way, the next is started. */
  async take(backend: ServerBackend, image: string, fixed: FixedConnectionConfig, owner: Owner, limits: { memoryMb: number }): Promise<CellDatabase> {
    const key = JSON.stringify([backend, image, fixed, limits.memoryMb]);
    const spare = this.spares.get(key);
    this.spares.delete(key);
    if (spare) clearTimeout(spare.expiry);
    this.startSpare(key, () => this.ports.start(backend, image, fixed, { ...this.worker, runId: SPARE_OWNER, cellId: SPARE_OWNER }, limits));
    if (spare) {
      try {
        return await spare.server;
      } catch {
        // Its start failed (logged when it did): this cell starts one of its own, as without spares.
      }
    }
    return this.ports.start(backend, image, fixed, owner, limits);
  }

  private startSpare(key: string, start: () => Promise<CellDatabase>): void {
    if (this.closed) return;
    const server = start();
    server.catch((error: unknown) => this.ports.log.warn({ err: error }, 'Could not start a spare database server'));
    const expiry = setTimeout(() => {
      if (this.spares.get(key)?.server !== server) return;
      this.spares.delete(key);
      void this.remove(server);
    }, this.idleMs);
    expiry.unref();
    this.spares.set(key, { server, expiry });
  }

  private async remove(server: Promise<CellDatabase>): Promise<void> {
    const db = await server.catch(() => null);
    await db?.drop().catch((error: unknown) => this.ports.log.warn({ err: error }, 'Failed to remove a spare database server'));
  }

  /** Stops starting spares and removes those nobody took. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.spares.values()];
    this.spares.clear();
    for (const spare of all) clearTimeout(spare.expiry);
    await Promise.all(all.map((spare) => this.remove(spare.server)));
  }

  /** How many spares are held or booting now. */
  get size(): number {
    return this.spares.size;
  }
}
