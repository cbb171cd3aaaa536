/**
 * What a cell side holds while it runs (its database, its snapshot image), released in one place
 * whatever happens: a database opened again for a second run of the suite goes through here too.
 */
import { SQLITE_URL } from '../../common/cell-env.js';
import type { CellJob } from '../../common/queue/jobs.js';
import type { CellDatabase } from '../databases/servers.js';
import { InfraError, type WorkerPorts } from '../ports.js';
import type { SideImage } from '../snapshots/side-image.js';

export class SideHold {
  database: CellDatabase | null = null;
  /** Set once the snapshots are made, even when the side then fails: its image is released with the rest. */
  image: SideImage | null = null;
  private registered: string | null = null;

  constructor(
    private readonly job: CellJob,
    private readonly ports: WorkerPorts,
  ) {}

  /** The side's database (none for SQLite: the file in its results folder); its URL. */
  async openDatabase(): Promise<string> {
    const { job, ports } = this;
    if (job.backend === 'sqlite') return SQLITE_URL;
    const fixed = job.consumer.fixedConnection?.[job.backend];
    try {
      if (fixed) {
        const owner = { prefix: ports.config.prefix, worker: ports.workerId, runId: job.runId, cellId: job.cellId };
        this.database = await ports.spareServers.take(job.backend, job.databaseImage, fixed, owner, job.consumer.resources);
      } else {
        // Registered by the pool when made; this cell drops and unregisters it.
        this.database = await ports.spareDatabases.take(job.backend, job.databaseImage, job.runId);
        this.registered = this.database.name;
      }
    } catch (error) {
      throw new InfraError(`database start failed: ${(error as Error).message}`);
    }
    return this.database.url;
  }

  async dropDatabase(): Promise<void> {
    if (!this.database) return;
    const db = this.database;
    this.database = null;
    const dropped = await db.drop().then(
      () => true,
      (error) => (this.ports.log.warn({ err: error, db: db.name }, 'Failed to drop cell database'), false),
    );
    // Unregistered only once it is really gone; otherwise (the drop or even the create failed half-way)
    // it stays registered and the janitor drops it later.
    if (this.registered && dropped) await this.ports.unregisterDatabase(this.registered).catch(() => undefined);
    else if (this.registered) this.ports.releaseDatabase?.(this.registered);
    this.registered = null;
  }
}
