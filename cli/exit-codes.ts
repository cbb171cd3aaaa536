/** CONTRACT exit codes. */
import type { RunVerdict } from '../common/types.js';

export const EXIT = {
  ok: 0,
  blocked: 1,
  usage: 2,
  incomplete: 3,
  unknown: 4,
} as const;

/** The exit code a finished (or still pending) run's verdict maps to. */
export function exitCodeOf(verdict: RunVerdict): number {
  switch (verdict) {
    case 'pass':
      return EXIT.ok;
    case 'blocked':
      return EXIT.blocked;
    default:
      return EXIT.incomplete;
  }
}

/** A usage or configuration error: printed without a stack, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.usage) {
    super(message);
    this.name = 'UsageError';
  }
}
