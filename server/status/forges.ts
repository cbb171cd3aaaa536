/**
 * Where a run's commit status goes and with which token. The request itself is the forge's
 * (server/forges: GitHub `POST /repos/{owner}/{repo}/statuses/{sha}`, GitLab `POST
 * /projects/{id}/statuses/{sha}`). The request carries the token; it is handed to fetch and never to a
 * logger.
 */
import { z } from 'zod';
import type { Config } from '../../common/config.js';
import { StatusTargetSchema } from '../../common/matrix/schema.js';
import type { RunMeta } from '../store/schema.js';
import type { Forge } from '../store/status-reports.js';
import { forgeOf, type StatusContent } from '../forges/index.js';

export type { StatusContent };

export { USER_AGENT, TargetError } from '../forges/types.js';

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

export function statusRequest(config: Pick<Config, 'githubApiUrl' | 'gitlabApiUrl'>, target: ForgeTarget, content: StatusContent, token: string): StatusRequest {
  const request = forgeOf(target.forge).statusRequest(config, target, content, token);
  return { url: request.url, headers: request.headers, body: request.body as Record<string, string> };
}
