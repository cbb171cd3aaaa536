/**
 * A cell's coordinate (STYLE 17): consumer x backend, built and parsed here only. Its string form,
 * `<consumer>.<backend>`, is for ids and display; code that needs a part asks the key, not the string.
 * The database-version axis extends the key (and its id) here.
 */
import { BACKENDS, type Backend } from './types.js';

export interface CellKey {
  readonly consumer: string;
  readonly backend: Backend;
}

export function cellKey(consumer: string, backend: Backend): CellKey {
  return { consumer, backend };
}

/** The id a cell is stored, queued and shown by. */
export function cellIdOf(key: CellKey): string {
  return `${key.consumer}.${key.backend}`;
}

/** The key of a cell id; throws on a string no cell has (a consumer name may hold dots, a backend does not). */
export function parseCellId(id: string): CellKey {
  const dot = id.lastIndexOf('.');
  const backend = id.slice(dot + 1);
  if (dot <= 0 || !(BACKENDS as readonly string[]).includes(backend)) throw new Error(`not a cell id: "${id}"`);
  return { consumer: id.slice(0, dot), backend: backend as Backend };
}

/** The database servers a run was planned with (matrix.yaml `databases:`). */
export type DatabaseImages = Record<'mysql' | 'postgres', { image: string }>;

/** The image of the database server a cell runs against; '' for sqlite, which has none. */
export function databaseImageOf(databases: DatabaseImages, key: CellKey): string {
  return key.backend === 'sqlite' ? '' : databases[key.backend].image;
}
