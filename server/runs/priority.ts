/**
 * Fairness between runs: each run's jobs are numbered from its first, and the queue takes the lowest
 * number first (BullMQ priorities; first in first out within one). A run queued behind a long one
 * starts its first cells at the next free slot, then the two take turns cell by cell: per-run round
 * robin, with no scheduler beyond the queue.
 */
import type { Side } from '../../common/types.js';

/** Artifact builds come first: every cell of their run waits for them. */
export const BUILD_PRIORITY = 1;

/**
 * A cell side's place: the cell's index in its run, both sides of a cell side by side. Confirming
 * re-runs (attempt > 0) go right after builds: a verdict waits on them.
 */
export function cellPriority(cellIndex: number, side: Side, attempt: number): number {
  if (attempt > 0) return BUILD_PRIORITY + 1;
  return BUILD_PRIORITY + 2 + cellIndex * 2 + (side === 'baseline' ? 1 : 0);
}
