/**
 * The JSON the store keeps in its columns (a run's meta, a cell's consumer configuration), as zod
 * schemas read at the store's edge: callers get typed data, never a string to parse or cast, and a
 * stored value of the wrong shape fails loudly, naming the run, cell and field at fault.
 */
import { z } from 'zod';
import type { DroppedTests } from '../../common/types.js';
import { ResolvedConsumerSchema, ResolvedImage, StatusTargetSchema, type ResolvedConsumer } from '../../common/matrix/schema.js';
import { PublishedFileSchema } from '../../common/registry/published.js';
import { zodProblem } from '../../common/zod-problem.js';
import { SchemaDocument } from '../../common/schema/document.js';
import { SchemaChange } from '../../common/schema/diff.js';

/** What the run was planned with, kept so a restart re-enqueues the same jobs (and the dashboard can show how to reproduce). */
export const RunPlanMeta = z.object({
  library: z.object({ name: z.string(), repo: z.string(), image: ResolvedImage, command: z.string(), timeoutSeconds: z.number() }),
  databases: z.object({ postgres: z.object({ image: z.string() }), mysql: z.object({ image: z.string() }) }),
  /** matrix.yaml's `bisect` of the library (absent in plans stored before it existed: on). */
  bisect: z.boolean().optional(),
});
export type RunPlanMeta = z.infer<typeof RunPlanMeta>;

/** What a webhook-triggered run keeps of its event (server/webhooks/tag-event.ts). */
export const TagRunMeta = z.object({
  /** The forge that delivered the event. */
  forge: z.enum(['github', 'gitlab']),
  /** `github:<X-GitHub-Delivery>` or `gitlab:<Idempotency-Key>`; null when the forge sent none. */
  delivery: z.string().nullable(),
  event: z.string(),
  /** The payload's own repository: kept for the record, never posted to (server/status/forges.ts). */
  repository: z.string(),
  projectId: z.number().int().optional(),
  tag: z.string(),
  /** The commit the payload says the tag points at (none in `create` and `release` events). */
  commitSha: z.string().nullable(),
  /** Where the run's statuses go: the library's `forge:` (or its github.com / gitlab.com `repo:`); null: nowhere. */
  statusTarget: StatusTargetSchema.nullable(),
});
export type TagRunMeta = z.infer<typeof TagRunMeta>;

/** What a pull-request run keeps of its PR (server/pulls): which PR, at which head, against what. */
export const PullRunMeta = z.object({
  number: z.number().int().positive(),
  headSha: z.string(),
  baseRef: z.string(),
  /** How the baseline was chosen: matrix.yaml's `pullRequests.baseline`, or named by `/compat run --baseline`. */
  baseline: z.enum(['merge-base', 'latest-release', 'named']),
  fromFork: z.boolean(),
  /** The consumers' secretEnv names not passed to this run (a fork's PR, not approved). */
  withheld: z.array(z.string()),
  /** The writer whose `/compat run` let a fork's pull request run with secrets. */
  approvedBy: z.string().optional(),
});
export type PullRunMeta = z.infer<typeof PullRunMeta>;

/**
 * A run's meta. Loose: a trigger may keep more than these fields (they survive a round trip), but the
 * ones named here have these types.
 */
export const RunMeta = z.looseObject({
  /** Written by the orchestrator when it plans the run. */
  plan: RunPlanMeta.optional(),
  /** The library's build image at planning time. */
  buildImage: ResolvedImage.optional(),
  /** The registry's file the baseline is, when the library names its package (`registry:`) and no baseline tag was asked for. */
  baselineFile: PublishedFileSchema.optional(),
  /** The run was asked to run its baseline again rather than reuse a recent baseline side's result (`--fresh-baseline`). */
  freshBaseline: z.boolean().optional(),
  /**
   * The baseline is the candidate version's own: the default one (the previous release, or the
   * registry's with `registry:`), whether it was asked for by name or left to default. false: another
   * baseline was asked for, and the run never decides the gate. Absent in runs stored before the rule.
   */
  ownBaseline: z.boolean().optional(),
  /** Set by `compat cancel`: when and by which token; `cleaned` once its queued jobs are dropped and its workers told. */
  cancel: z.object({ at: z.string(), by: z.string().optional(), cleaned: z.boolean() }).optional(),
  /** The API token's name, for runs created through `POST /api/runs`. */
  requestedBy: z.string().optional(),
  // Webhook-triggered runs (server/webhooks): their event's fields, each optional here.
  ...TagRunMeta.partial().shape,
  /** Pull-request runs (server/pulls). */
  pull: PullRunMeta.optional(),
  // A number from GitLab; a string in runs stored before it was checked.
  projectId: z.union([z.number().int(), z.string()]).optional(),
});
export type RunMeta = z.infer<typeof RunMeta>;

/** A stored JSON value that does not have the shape its schema says: the store file is damaged or was written by an incompatible version. */
export class StoredDataError extends Error {
  constructor(where: string, error: z.ZodError) {
    super(`store: ${zodProblem(where, error)}`);
    this.name = 'StoredDataError';
  }
}

export function parseJson<T>(schema: z.ZodType<T>, text: string, where: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`store: ${where}: not JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new StoredDataError(where, result.error);
  return result.data;
}

export function parseRunMeta(text: string, runId: string): RunMeta {
  return parseJson(RunMeta, text, `run "${runId}" meta`);
}

export function parseCellConfig(text: string, runId: string, cellId: string): ResolvedConsumer {
  return parseJson(ResolvedConsumerSchema, text, `run "${runId}" cell "${cellId}" config`);
}

export function parseStringList(text: string, where: string): string[] {
  return parseJson(z.array(z.string()), text, where);
}

const Dropped = z.object({ tests: z.number().int().min(0), failed: z.number().int().min(0), chars: z.number().int().min(0) });
export function parseDropped(json: string, ...where: string[]): DroppedTests {
  const result = Dropped.safeParse(JSON.parse(json));
  if (!result.success) throw new Error(`side_results.dropped of ${where.join(' ')}: ${result.error.issues[0].message}`);
  return result.data;
}

/** What a side's migrations built, as the store keeps it (side_results.schema). */
export const SideSchemaShape = z.object({ document: SchemaDocument, ddl: z.string().optional(), roundTrip: z.array(SchemaChange).optional() });
export type SideSchema = z.infer<typeof SideSchemaShape>;

export function parseSideSchema(text: string, where: string): SideSchema {
  return parseJson(SideSchemaShape, text, where);
}

export function parseSchemaChanges(text: string, where: string): SchemaChange[] {
  return parseJson(z.array(SchemaChange), text, where);
}
