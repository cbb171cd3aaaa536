/**
 * GitHub's REST API (api.github.com or an Enterprise server's /api/v3) as a Forge. Routes and bodies
 * as @octokit/openapi describes them: statuses, check runs, issue comments, collaborator permission.
 */
import { githubEvent, githubRepositoryNames } from './events.js';
import { verifyGithubSignature } from './signature.js';
import { commitSha, obj, repositoryParts, USER_AGENT, type CheckRunContent, type Forge, type ForgeApi, type ForgeRequest, type ForgeTarget } from './types.js';

/** GitHub refuses a check run output over 65,535 characters. */
export const CHECK_OUTPUT_MAX = 65_535;

function base(api: ForgeApi, target: ForgeTarget): string {
  return `${api.githubApiUrl}/repos/${repositoryParts(target, 2, 2).map(encodeURIComponent).join('/')}`;
}

function headers(token: string, withBody: boolean): Record<string, string> {
  return {
    Authorization: `Bearer ${token}`,
    Accept: 'application/vnd.github+json',
    'X-GitHub-Api-Version': '2022-11-28',
    'User-Agent': USER_AGENT,
    ...(withBody ? { 'Content-Type': 'application/json' } : {}),
  };
}

function checkRunBody(content: CheckRunContent, create: boolean): Record<string, unknown> {
  return {
    name: content.name,
    ...(create ? { head_sha: commitSha(content.headSha) } : {}),
    status: content.status,
    details_url: content.detailsUrl,
    external_id: content.externalId,
    ...(content.startedAt ? { started_at: content.startedAt } : {}),
    ...(content.status === 'completed' ? { conclusion: content.conclusion ?? 'action_required', completed_at: content.completedAt ?? new Date().toISOString() } : {}),
    output: { title: content.title, summary: content.summary, ...(content.text ? { text: content.text } : {}) },
  };
}

export const github: Forge = {
  kind: 'github',
  webhook: {
    eventHeader: 'X-GitHub-Event',
    credentialHeader: 'X-Hub-Signature-256',
    credentialHint: ' (set a secret on the webhook)',
    mismatch: 'X-Hub-Signature-256 does not match the payload',
    deliveryId: (header) => header('X-GitHub-Delivery')?.slice(0, 200) || null,
    verify: (body, signature, secret) => verifyGithubSignature(body, signature, secret),
  },
  repositoryNames: githubRepositoryNames,
  parseEvent: githubEvent,
  pullHeadRef: (number) => `refs/pull/${number}/head`,

  statusRequest(api, target, content, token) {
    const sha = commitSha(content.sha);
    return {
      method: 'POST',
      url: `${base(api, target)}/statuses/${sha}`,
      headers: headers(token, true),
      body: { state: content.state, target_url: content.targetUrl, description: content.description, context: content.context },
    };
  },

  checkRunRequest(api, target, content, id, token): ForgeRequest {
    const url = id === null ? `${base(api, target)}/check-runs` : `${base(api, target)}/check-runs/${id}`;
    return { method: id === null ? 'POST' : 'PATCH', url, headers: headers(token, true), body: checkRunBody(content, id === null) };
  },

  listCheckRunsRequest(api, target, sha, name, token) {
    return { method: 'GET', url: `${base(api, target)}/commits/${commitSha(sha)}/check-runs?check_name=${encodeURIComponent(name)}&filter=all&per_page=100`, headers: headers(token, false) };
  },

  checkRunIdOf(answer, externalId) {
    const runs = obj(answer).check_runs;
    const found = Array.isArray(runs) ? runs.map(obj).find((r) => r.external_id === externalId && typeof r.id === 'number') : undefined;
    return found ? (found.id as number) : null;
  },

  commentRequest(api, target, number, body, id, token) {
    if (id === null) return { method: 'POST', url: `${base(api, target)}/issues/${number}/comments`, headers: headers(token, true), body: { body } };
    return { method: 'PATCH', url: `${base(api, target)}/issues/comments/${id}`, headers: headers(token, true), body: { body } };
  },

  listCommentsRequest(api, target, number, token) {
    return { method: 'GET', url: `${base(api, target)}/issues/${number}/comments?per_page=100`, headers: headers(token, false) };
  },

  idOf: (answer) => (typeof obj(answer).id === 'number' ? (obj(answer).id as number) : null),

  commentsOf(answer) {
    if (!Array.isArray(answer)) return [];
    return answer.map(obj).filter((c) => typeof c.id === 'number' && typeof c.body === 'string').map((c) => ({ id: c.id as number, body: c.body as string }));
  },

  permissionRequest(api, target, user, token) {
    return { method: 'GET', url: `${base(api, target)}/collaborators/${encodeURIComponent(String(user))}/permission`, headers: headers(token, false) };
  },

  // GitHub says in the payload how the author relates to the repository.
  writerByPayload: (comment, associations) => associations.includes(comment.association ?? ''),

  writerOf: (answer) => ['admin', 'maintain', 'write'].includes(String(obj(answer).permission)) || ['admin', 'maintain', 'write'].includes(String(obj(answer).role_name)),
};
