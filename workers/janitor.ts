/**
 * Removes what dead workers left behind: containers labelled with a worker whose heartbeat has expired,
 * and cell databases registered to such a worker. Runs when a worker starts, and periodically.
 */
import type { Logger } from '../common/logger.js';
import { containersWith, LABEL_KIND, LABEL_PREFIX, LABEL_WORKER, removeLeftovers, type Docker } from './container/docker.js';
import type { DatabaseServers, ServerBackend } from './databases/servers.js';

export interface JanitorPorts {
  /** Only this deployment's containers: other prefixes (other stacks on the host) have workers of their own. */
  prefix: string;
  docker: Docker;
  databases: DatabaseServers;
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
  report.containers += await removeLeftovers(ports.docker);
  for (const container of await containersWith(ports.docker, { [LABEL_PREFIX]: ports.prefix, [LABEL_WORKER]: undefined })) {
    const worker = container.Labels[LABEL_WORKER];
    if (!worker || (await isAlive(worker))) continue;
    await ports.docker.getContainer(container.Id).remove({ force: true, v: true }).catch(() => undefined);
    report.containers++;
    ports.log.info({ container: container.Names[0], kind: container.Labels[LABEL_KIND], worker }, 'Removed orphaned container');
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
