/**
 * What a side reports of its tests, as zod schemas (the queue checks result messages against them) with
 * their types, which common/types.ts re-exports for the API's JSON.
 */
import { z } from 'zod';

export const SideStatusSchema = z.enum(['pending', 'running', 'passed', 'failed', 'timeout', 'error']);
export type SideStatus = z.infer<typeof SideStatusSchema>;

/** One test's outcome, as read from JUnit XML. */
export const TestOutcomeSchema = z.object({
  id: z.string(),
  status: z.enum(['passed', 'failed', 'skipped']),
  message: z.string().optional(),
  durationMs: z.number().optional(),
});
export type TestOutcome = z.infer<typeof TestOutcomeSchema>;

/** What a side's JUnit reported beyond what one side may store (workers/results/junit.ts). */
export const DroppedTestsSchema = z.object({
  /** Tests not kept. */
  tests: z.number(),
  /** Of those, failed ones (kept first, so only when the failures alone are over the allowance). */
  failed: z.number(),
  /** Characters of ids and messages (plus a small per-test cost) not kept. */
  chars: z.number(),
});
export type DroppedTests = z.infer<typeof DroppedTestsSchema>;
