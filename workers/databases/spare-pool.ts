/**
 * Cell databases made ahead of time. Creating a database and its user on a shared server costs seconds
 * on a busy host (a `docker exec` of the SQL client, CREATE DATABASE copying its template); a cell that
 * finds a spare ready skips that on its way to the test command. Each spare is handed to exactly one
 * cell and dropped after it like any cell database, so isolation is as before; spares are registered
 * when made, so a janitor drops them if their worker dies, and the worker drops them when it stops.
 */
import type { Logger } from '../../common/logger.js';
import type { CellDatabase, DatabaseServers, ServerBackend } from './servers.js';

export interface SparePoolPorts {
  databases: Pick<DatabaseServers, 'createDatabase'>;
  /** Records a spare (not yet any cell's), so a janitor can drop it if this worker dies. */
  register(name: string, backend: ServerBackend, image: string): Promise<void>;
  /** Records a database as taken by a cell of `run`. */
  claim(name: string, backend: ServerBackend, image: string, run: string): Promise<void>;
  unregister(name: string): Promise<void>;
  /** A database whose creation failed half-way: left registered, for the janitor to drop. */
  release(name: string): void;
  log: Logger;
}

export class SpareDatabases {
  private readonly spares = new Map<string, CellDatabase[]>();
  private readonly filling = new Map<string, Promise<void>>();
  private closed = false;

  /** @param size spares kept per backend and image. @defaultValue 2 */
  constructor(
    private readonly ports: SparePoolPorts,
    private readonly size = 2,
  ) {}

  /** A fresh database for one cell of `run`: a spare when one is ready, else made now. Either way, refills. */
  async take(backend: ServerBackend, image: string, run: string): Promise<CellDatabase> {
    const key = `${backend}\0${image}`;
    const spare = this.spares.get(key)?.shift();
    this.refill(backend, image);
    const db = spare ?? (await this.make(backend, image));
    await this.ports.claim(db.name, backend, image, run);
    return db;
  }

  private async make(backend: ServerBackend, image: string): Promise<CellDatabase> {
    let registered: string | null = null;
    try {
      return await this.ports.databases.createDatabase(backend, image, (name) => ((registered = name), this.ports.register(name, backend, image)));
    } catch (error) {
      if (registered) this.ports.release(registered);
      throw error;
    }
  }

  private refill(backend: ServerBackend, image: string): void {
    const key = `${backend}\0${image}`;
    if (this.closed || this.filling.has(key) || this.size === 0) return;
    const fill = (async () => {
      const list = this.spares.get(key) ?? [];
      this.spares.set(key, list);
      while (!this.closed && list.length < this.size) list.push(await this.make(backend, image));
    })()
      .catch((error) => this.ports.log.warn({ err: error, backend }, 'Could not make a spare cell database'))
      .finally(() => this.filling.delete(key));
    this.filling.set(key, fill);
  }

  /** Stops refilling and drops the spares nobody took. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.filling.values());
    const all = [...this.spares.values()].flat();
    this.spares.clear();
    await Promise.all(
      all.map((db) =>
        db.drop().then(
          () => this.ports.unregister(db.name),
          // Stays registered: the janitor drops it later.
          (error) => this.ports.log.warn({ err: error, db: db.name }, 'Failed to drop a spare cell database'),
        ),
      ),
    );
  }

  /** Names of the spares held now (they are registered, and not stray). */
  names(): string[] {
    return [...this.spares.values()].flat().map((db) => db.name);
  }
}
