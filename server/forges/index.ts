/**
 * The forges, by kind: the one place that knows there are two (renovate's `platform/api.ts`). Callers
 * take a Forge from here and never branch on its kind.
 */
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import type { Forge, ForgeKind } from './types.js';

const FORGES: Record<ForgeKind, Forge> = { github, gitlab };

export const FORGE_KINDS = Object.keys(FORGES) as ForgeKind[];

export function forgeOf(kind: ForgeKind): Forge {
  return FORGES[kind];
}

export {
  repositoryParts,
  TargetError,
  USER_AGENT,
  type CheckConclusion,
  type CheckRunContent,
  type CommentEvent,
  type Forge,
  type ForgeApi,
  type ForgeEvent,
  type ForgeKind,
  type ForgeRequest,
  type ForgeTarget,
  type PullAction,
  type PullEvent,
  type RepositoryNames,
  type StatusContent,
} from './types.js';
export { PayloadError } from './schema.js';
export { githubSignature, verifyGithubSignature, verifyGitlabToken } from './signature.js';
