/**
 * One interface for everything forge-specific (issue 18 item 8), as renovate's platforms are: the
 * webhook router, the status reporter and the pull-request loop ask `forgeOf(kind)` and never branch
 * on the kind. A forge builds requests and reads answers; sending them is the ForgeClient port's job,
 * so the retry rules, the outbox and the tests' stand-in stay in one place.
 */
import type { Config } from '../../common/config.js';
import type { StatusState } from '../store/status-reports.js';

export type ForgeKind = 'github' | 'gitlab';

export const USER_AGENT = 'compat-matrix/0.1 (+status reporter)';

/** The repository a request goes to: the library's target from matrix.yaml, never a payload's. */
export interface ForgeTarget {
  forge: ForgeKind;
  repository: string;
}

export type ForgeApi = Pick<Config, 'githubApiUrl' | 'gitlabApiUrl'>;

export interface ForgeRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

/** The repository a payload names, read leniently: it picks the webhook secret before the payload is trusted. */
export interface RepositoryNames {
  /** Clone, web and SSH URLs from the payload. */
  urls: Array<string | null | undefined>;
  /** `owner/repo` (GitHub full_name, GitLab path_with_namespace): matched as the tail of a library's repo. */
  fullName?: string | null;
}

export type PullAction = 'opened' | 'synchronize' | 'reopened' | 'labeled';

/** A pull (merge) request's head changed or was labelled. */
export interface PullEvent {
  kind: 'pull';
  action: PullAction;
  number: number;
  headSha: string;
  /** The target branch, as a branch name. */
  baseRef: string;
  /** The label a `labeled` action added. */
  label: string | null;
  labels: string[];
  /** Its head lives in another repository: untrusted until a maintainer approves. */
  fromFork: boolean;
  repository: string;
  projectId?: number;
}

/** A new comment on a pull (merge) request: maybe a `/compat` command. */
export interface CommentEvent {
  kind: 'comment';
  number: number;
  body: string;
  /** GitHub login or GitLab username, for replies and logs. */
  author: string;
  /** What the permission request asks about: the login on GitHub, the user id on GitLab. */
  authorId: string | number;
  /** GitHub's author_association (OWNER, MEMBER, COLLABORATOR...); GitLab sends none. */
  association: string | null;
  /** The branch a PR without a run yet is measured against (GitHub: the repository's default branch). */
  defaultBranch: string | null;
  repository: string;
}

export type ForgeEvent =
  | { kind: 'tag'; tag: string; commitSha: string | null; repository: string; projectId?: number }
  | PullEvent
  | CommentEvent
  | { kind: 'ignored'; reason: string };

export interface StatusContent {
  sha: string;
  state: StatusState;
  description: string;
  targetUrl: string;
  /** `compat-matrix/<library>`: one status per library on the commit, replaced as the run goes on. */
  context: string;
}

export type CheckConclusion = 'success' | 'failure' | 'action_required';

/** A check run as GitHub shows it: created once per library and commit, then updated. */
export interface CheckRunContent {
  name: string;
  headSha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion?: CheckConclusion;
  detailsUrl: string;
  externalId: string;
  title: string;
  summary: string;
  text?: string;
  startedAt?: string;
  completedAt?: string;
}

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** How a forge delivers webhooks: the headers, and how a delivery is authenticated. */
export interface WebhookShape {
  eventHeader: string;
  credentialHeader: string;
  /** Appended to "missing header X" when the credential is absent. */
  credentialHint: string;
  /** The 401's message for a credential that does not match. */
  mismatch: string;
  /** A delivery's id that stays the same across the forge's retries; null when it sent none. */
  deliveryId(header: (name: string) => string | undefined): string | null;
  verify(body: Buffer, credential: string, secret: string): boolean;
}

export interface Forge {
  readonly kind: ForgeKind;
  readonly webhook: WebhookShape;
  repositoryNames(payload: unknown): RepositoryNames | null;
  /** Throws a PayloadError naming the first missing or wrong field. */
  parseEvent(event: string, payload: unknown): ForgeEvent;
  /** Where the forge publishes a PR's head in the library's repository (what the mirror fetches). */
  pullHeadRef(number: number): string;
  statusRequest(api: ForgeApi, target: ForgeTarget, content: StatusContent, token: string): ForgeRequest;
  /** Creates (id null) or updates a check run; null: the forge has none (its PR note and commit status stand in). */
  checkRunRequest(api: ForgeApi, target: ForgeTarget, content: CheckRunContent, id: number | null, token: string): ForgeRequest | null;
  /** The check runs of a name on a commit (to find one a previous server created); null: the forge has none. */
  listCheckRunsRequest(api: ForgeApi, target: ForgeTarget, sha: string, name: string, token: string): ForgeRequest | null;
  /** The id of the listed check run that `externalId` (the run's id) created. */
  checkRunIdOf(answer: unknown, externalId: string): number | null;
  /** Posts (id null) or edits the PR's comment. */
  commentRequest(api: ForgeApi, target: ForgeTarget, number: number, body: string, id: number | null, token: string): ForgeRequest;
  listCommentsRequest(api: ForgeApi, target: ForgeTarget, number: number, token: string): ForgeRequest;
  /** The id in a create answer (check run, comment). */
  idOf(answer: unknown): number | null;
  /** The comments of a list answer, with their ids and bodies. */
  commentsOf(answer: unknown): Array<{ id: number; body: string }>;
  /** Asks what a user may do in the repository; `writerOf` reads the answer. */
  permissionRequest(api: ForgeApi, target: ForgeTarget, user: string | number, token: string): ForgeRequest;
  writerOf(answer: unknown): boolean;
  /** May this comment's author write, by the payload alone? null: ask the forge (permissionRequest). */
  writerByPayload(comment: CommentEvent, associations: readonly string[]): boolean | null;
}

/** `owner/repo` or `group/sub/project`, each segment one that cannot escape the URL path. */
export function repositoryParts(target: ForgeTarget, min: number, max: number): string[] {
  const parts = target.repository.split('/');
  // Each segment starts with a letter or digit, so none is `.` or `..`: the URL names one repository.
  const ok = parts.length >= min && parts.length <= max && parts.every((p) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p));
  if (!ok) throw new TargetError(`"${target.repository}" is not ${max === 2 ? 'an owner/repo name' : 'a group/project path'}`);
  return parts;
}

export function commitSha(sha: string): string {
  if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new TargetError(`"${sha.slice(0, 80)}" is not a commit id`);
  return sha;
}

export function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
