/**
 * Where and how a commit status is posted on each forge. GitHub: `POST /repos/{owner}/{repo}/statuses/{sha}`
 * (state pending|success|failure|error, context). GitLab: `POST /projects/{id}/statuses/{sha}` (state
 * pending|running|success|failed|canceled, name). The request carries the token; it is handed to fetch
 * and never to a logger.
 */
import { z } from 'zod';
import type { Config } from '../../common/config.js';
import { StatusTargetSchema } from '../../common/matrix/schema.js';
import type { RunMeta } from '../store/schema.js';
import type { Forge, StatusState } from '../store/status-reports.js';

export const USER_AGENT = 'compat-matrix/0.1 (+status reporter)';

/** Where a status goes: the library's target from matrix.yaml, as the webhook's run meta keeps it. */
export const ForgeTarget = StatusTargetSchema.pick({ forge: true, repository: true });
export type ForgeTarget = z.infer<typeof ForgeTarget>;

/**
 * The run's status target: `meta.statusTarget`, which server/webhooks copies from matrix.yaml. A
 * payload's own repository fields (`meta.repository`, `meta.projectId`) are never a target (issue 16
 * item 7): whoever holds a library's secret could name any repository sharing the commit.
 */
export function targetOf(meta: RunMeta | undefined): ForgeTarget | null {
  const parsed = z.object({ statusTarget: ForgeTarget }).safeParse(meta);
  return parsed.success ? { forge: parsed.data.statusTarget.forge, repository: parsed.data.statusTarget.repository } : null;
}

export function tokenFor(config: Pick<Config, 'githubToken' | 'gitlabToken'>, forge: Forge): string | null {
  return forge === 'github' ? config.githubToken : config.gitlabToken;
}

export interface StatusRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, string>;
}

export interface StatusContent {
  sha: string;
  state: StatusState;
  description: string;
  targetUrl: string;
  /** `compat-matrix/<library>`: one status per library on the commit, replaced as the run goes on. */
  context: string;
}

const GITLAB_STATE: Record<StatusState, string> = { pending: 'pending', success: 'success', failure: 'failed', error: 'failed' };

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export function statusRequest(config: Pick<Config, 'githubApiUrl' | 'gitlabApiUrl'>, target: ForgeTarget, content: StatusContent, token: string): StatusRequest {
  if (!/^[0-9a-f]{40,64}$/.test(content.sha)) throw new TargetError(`"${content.sha.slice(0, 80)}" is not a commit id`);
  const parts = target.repository.split('/');
  // Each segment starts with a letter or digit, so none is `.` or `..`: the URL names one repository.
  const segmentsOk = parts.every((p) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p));
  if (target.forge === 'github') {
    if (parts.length !== 2 || !segmentsOk) throw new TargetError(`"${target.repository}" is not an owner/repo name`);
    return {
      url: `${config.githubApiUrl}/repos/${parts.map(encodeURIComponent).join('/')}/statuses/${content.sha}`,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        'User-Agent': USER_AGENT,
        'Content-Type': 'application/json',
      },
      body: { state: content.state, target_url: content.targetUrl, description: content.description, context: content.context },
    };
  }
  if (parts.length < 2 || !segmentsOk) throw new TargetError(`"${target.repository}" is not a group/project path`);
  const project = encodeURIComponent(target.repository);
  return {
    url: `${config.gitlabApiUrl}/projects/${project}/statuses/${content.sha}`,
    headers: { 'PRIVATE-TOKEN': token, Accept: 'application/json', 'User-Agent': USER_AGENT, 'Content-Type': 'application/json' },
    body: { state: GITLAB_STATE[content.state], target_url: content.targetUrl, description: content.description, name: content.context },
  };
}
