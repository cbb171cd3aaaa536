/**
 * The fault suite's ledger: each test appends what it injected, what it lost, what it had to clean up and
 * which hostile inputs it tried, one JSON line each, to a file the global setup names. The global
 * teardown adds it up and asks Docker and the database servers for anything still left.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { REPO_ROOT } from '../../common/config.js';

declare module 'vitest' {
  export interface ProvidedContext {
    faultsLedger: string;
  }
}

export interface LedgerEntry {
  test: string;
  /** Faults injected (processes killed, engines restarted, hostile suites run). */
  faults?: number;
  /** Cells that never reached a verdict, or whose side results went missing. */
  cellsLost?: number;
  /** What the test's own cleanup found still there, after the system should have removed it. */
  leftovers?: { containers: number; networks?: number; databases: number; processes?: number };
  /** Hostile inputs thrown at the system; each test asserts that every one of them was refused. */
  hostileTried?: number;
  /**
   * Containers a worker reported held by the engine (its driver refuses to remove them, after a real
   * engine restart): the teardown counts these apart from orphans, as long as their ids match.
   */
  heldByEngine?: Array<{ id: string; name?: string; error: string }>;
  /** Queue prefixes used (the teardown looks for containers carrying them). */
  prefixes?: string[];
  /** Cell databases seen in use (the teardown checks that none is left on the shared servers). */
  databases?: Array<{ backend: 'postgres' | 'mysql'; image: string; name: string }>;
}

export const DEFAULT_LEDGER = path.join(REPO_ROOT, '.compat', 'faults', 'ledger.jsonl');

export function ledgerFile(): string {
  try {
    return inject('faultsLedger') || DEFAULT_LEDGER;
  } catch {
    return DEFAULT_LEDGER;
  }
}

export function record(entry: LedgerEntry): void {
  const file = ledgerFile();
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify({ ...entry, at: new Date().toISOString() })}\n`);
}

/**
 * Counts hostile inputs as they are tried. Whether each was refused (or handled within bounds) is the
 * test's own assertion on what `note` returns: a test that passed refused them all.
 */
export class HostileTally {
  tried = 0;
  note(rejected: boolean): boolean {
    this.tried++;
    return rejected;
  }
}
