/**
 * GitLab's REST API (v4) as a Forge: commit statuses, merge request notes, project members. GitLab has
 * no check runs: its merge request gets the note and the commit status instead.
 */
import { gitlabEvent, gitlabRepositoryNames } from './events.js';
import { verifyGitlabToken } from './signature.js';
import { commitSha, obj, repositoryParts, USER_AGENT, type Forge, type ForgeApi, type ForgeTarget } from './types.js';
import type { StatusState } from '../store/status-reports.js';

const STATE: Record<StatusState, string> = { pending: 'pending', success: 'success', failure: 'failed', error: 'failed' };

/** GitLab's Developer role: the lowest that may push to a project. */
export const DEVELOPER_ACCESS = 30;

function project(api: ForgeApi, target: ForgeTarget): string {
  repositoryParts(target, 2, 20);
  // The path with namespace, URL-encoded, is an id GitLab's API takes.
  return `${api.gitlabApiUrl}/projects/${encodeURIComponent(target.repository)}`;
}

function headers(token: string, withBody: boolean): Record<string, string> {
  return { 'PRIVATE-TOKEN': token, Accept: 'application/json', 'User-Agent': USER_AGENT, ...(withBody ? { 'Content-Type': 'application/json' } : {}) };
}

export const gitlab: Forge = {
  kind: 'gitlab',
  webhook: {
    eventHeader: 'X-Gitlab-Event',
    credentialHeader: 'X-Gitlab-Token',
    credentialHint: ' (set a secret token on the webhook)',
    mismatch: 'X-Gitlab-Token does not match the secret',
    // Idempotency-Key stays the same across GitLab's retries of one event (GitLab 17.4+).
    deliveryId: (header) => (header('Idempotency-Key') ?? header('X-Gitlab-Event-UUID'))?.slice(0, 200) || null,
    verify: (_body, token, secret) => verifyGitlabToken(token, secret),
  },
  repositoryNames: gitlabRepositoryNames,
  parseEvent: gitlabEvent,
  pullHeadRef: (number) => `refs/merge-requests/${number}/head`,

  statusRequest(api, target, content, token) {
    const sha = commitSha(content.sha);
    return {
      method: 'POST',
      url: `${project(api, target)}/statuses/${sha}`,
      headers: headers(token, true),
      body: { state: STATE[content.state], target_url: content.targetUrl, description: content.description, name: content.context },
    };
  },

  checkRunRequest: () => null,
  listCheckRunsRequest: () => null,
  checkRunIdOf: () => null,

  commentRequest(api, target, number, body, id, token) {
    const notes = `${project(api, target)}/merge_requests/${number}/notes`;
    return id === null ? { method: 'POST', url: notes, headers: headers(token, true), body: { body } } : { method: 'PUT', url: `${notes}/${id}`, headers: headers(token, true), body: { body } };
  },

  listCommentsRequest(api, target, number, token) {
    return { method: 'GET', url: `${project(api, target)}/merge_requests/${number}/notes?per_page=100&sort=asc`, headers: headers(token, false) };
  },

  idOf: (answer) => (typeof obj(answer).id === 'number' ? (obj(answer).id as number) : null),

  commentsOf(answer) {
    if (!Array.isArray(answer)) return [];
    return answer.map(obj).filter((c) => typeof c.id === 'number' && typeof c.body === 'string').map((c) => ({ id: c.id as number, body: c.body as string }));
  },

  permissionRequest(api, target, user, token) {
    return { method: 'GET', url: `${project(api, target)}/members/all/${encodeURIComponent(String(user))}`, headers: headers(token, false) };
  },

  // A note hook says nothing of its author's role: the members API is asked.
  writerByPayload: () => null,

  writerOf: (answer) => typeof obj(answer).access_level === 'number' && (obj(answer).access_level as number) >= DEVELOPER_ACCESS,
};
