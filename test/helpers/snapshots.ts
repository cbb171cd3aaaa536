/** Test and bench deployments remove the install snapshots they made (their prefix's only). */
import Database from 'better-sqlite3';
import os from 'node:os';
import { Store } from '../../server/store/store.js';
import { logger } from '../../common/logger.js';
import { createDocker } from '../../common/docker/engine.js';
import { LayerStore } from '../../workers/snapshots/layers.js';

/**
 * Removes the install snapshots a test deployment made (only its own: they carry its prefix). A
 * container still being removed holds its image a moment longer: asked again until none is left.
 */
export async function removeSnapshots(prefix: string, tries = 30): Promise<number> {
  const store = new LayerStore(createDocker(), { prefix, dataDir: os.tmpdir(), budgetMb: 0, log: logger });
  let removed = 0;
  for (let i = 0; i < tries; i++) {
    removed += await store.removeAll();
    if ((await store.list()).length === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return removed;
}


/**
 * Rows of a test deployment's store, read through a connection of their own (closed at once), for tests
 * and benches that look at columns the API does not show (phases, reused_from). The store keeps its own
 * connection private.
 */
export function queryStore<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(Store.fileIn(dataDir), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
