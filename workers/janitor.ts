/**
 * Removes what dead workers left behind: containers labelled with a worker whose heartbeat has expired,
 * and cell databases registered to such a worker. Runs when a worker starts, and periodically.
 */
import type { Logger } from '../common/logger.js';
import type { ServerBackend } from './databases/servers.js';
import type { OwnedContainers } from './ports.js';

export interface JanitorPorts {
  /** Only this deployment's containers: other prefixes (other stacks on the host) have workers of their own. */
  prefix: string;
  containers: OwnedContainers;
  databases: { dropShared(backend: ServerBackend, image: string, name: string): Promise<void> };
  isWorkerAlive(workerId: string): Promise<boolean>;
  registeredDatabases(): Promise<Array<{ name: string; worker: string; backend: ServerBackend; image: string }>>;
  unregisterDatabase(name: string): Promise<void>;
  /**
   * A database registered to a live worker that no cell of its uses any more: its drop failed (the
   * engine was away) and it is retried here. Only the owning worker can tell; others answer false.
   */
  isStrayDatabase?(name: string, worker: string): boolean;
  log: Logger;
}

export interface JanitorReport {
  containers: number;
  databases: number;
}

export async function sweepOrphans(ports: JanitorPorts): Promise<JanitorReport> {
  const report = { containers: 0, databases: 0 };
  const alive = new Map<string, boolean>();
  const isAlive = async (worker: string) => {
    if (!alive.has(worker)) alive.set(worker, await ports.isWorkerAlive(worker));
    return alive.get(worker)!;
  };
  report.containers += await ports.containers.removeLeftovers();
  for (const container of await ports.containers.listOwned(ports.prefix)) {
    const { worker } = container;
    if (!worker || (await isAlive(worker))) continue;
    // Counted only when it is gone: one the engine refuses stays with the removals, retried and reported.
    if ((await ports.containers.remove(container.id, container.name)) !== 'removed') continue;
    report.containers++;
    ports.log.info({ container: container.name, kind: container.kind, worker }, 'Removed orphaned container');
  }
  for (const db of await ports.registeredDatabases()) {
    if ((await isAlive(db.worker)) && !ports.isStrayDatabase?.(db.name, db.worker)) continue;
    try {
      await ports.databases.dropShared(db.backend, db.image, db.name);
      await ports.unregisterDatabase(db.name);
      report.databases++;
      ports.log.info({ database: db.name, worker: db.worker }, 'Dropped orphaned cell database');
    } catch (error) {
      ports.log.warn({ err: error, database: db.name }, 'Failed to drop orphaned cell database');
    }
  }
  return report;
}
