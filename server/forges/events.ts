/**
 * Forge payloads to one thing: "tag T of repository R was created (at commit C)", "pull request N's
 * head is now C", or "ignored, because". Pure functions of the event name and the parsed (already
 * authenticated) JSON.
 */
import { GithubCreate, GithubIssueComment, GithubPullRequest, GitlabNote, GithubPush, GithubRelease, GitlabMergeRequest, GitlabTagPush, parsePayload } from './schema.js';
import type { ForgeEvent, PullAction, RepositoryNames } from './types.js';

export type { ForgeEvent };

const PULL_ACTIONS = new Set<string>(['opened', 'synchronize', 'reopened', 'labeled']);

const TAG_PREFIX = 'refs/tags/';
const RELEASE_ACTIONS = new Set(['published', 'created']);

function commitId(value: unknown): string | null {
  return typeof value === 'string' && /^[0-9a-f]{40,64}$/.test(value) && !/^0+$/.test(value) ? value : null;
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The repository as GitHub names it, read leniently: it picks the secret, before the payload is trusted. */
export function githubRepositoryNames(payload: unknown): RepositoryNames | null {
  const repo = obj(obj(payload).repository);
  if (Object.keys(repo).length === 0) return null;
  return { urls: [str(repo.clone_url), str(repo.html_url), str(repo.ssh_url), str(repo.git_url)], fullName: str(repo.full_name) };
}

export function gitlabRepositoryNames(payload: unknown): RepositoryNames | null {
  const project = obj(obj(payload).project);
  const repository = obj(obj(payload).repository);
  if (Object.keys(project).length === 0 && Object.keys(repository).length === 0) return null;
  return {
    urls: [project.git_http_url, project.git_ssh_url, project.web_url, project.http_url, project.ssh_url, project.url, repository.git_http_url, repository.git_ssh_url, repository.homepage].map(str),
    fullName: str(project.path_with_namespace),
  };
}

export function githubEvent(event: string, payload: unknown): ForgeEvent {
  switch (event) {
    case 'ping':
      return { kind: 'ignored', reason: 'ping: the hook works; tags will start runs' };
    case 'create': {
      const p = parsePayload(GithubCreate, payload);
      if (p.ref_type !== 'tag') return { kind: 'ignored', reason: `create event for a ${p.ref_type}, not a tag` };
      return { kind: 'tag', tag: p.ref, commitSha: null, repository: p.repository.full_name };
    }
    case 'push': {
      const p = parsePayload(GithubPush, payload);
      if (!p.ref.startsWith(TAG_PREFIX)) return { kind: 'ignored', reason: `push to ${p.ref}, not a tag` };
      const tag = p.ref.slice(TAG_PREFIX.length);
      if (p.deleted || (p.after !== undefined && /^0+$/.test(p.after))) return { kind: 'ignored', reason: `tag ${tag} was deleted` };
      // For an annotated tag `after` is the tag object; head_commit is the commit it points at.
      return { kind: 'tag', tag, commitSha: commitId(p.head_commit?.id), repository: p.repository.full_name };
    }
    case 'release': {
      const p = parsePayload(GithubRelease, payload);
      if (!RELEASE_ACTIONS.has(p.action)) return { kind: 'ignored', reason: `release action "${p.action}" is not handled (published and created are)` };
      if (p.release.draft) return { kind: 'ignored', reason: `release ${p.release.tag_name} is a draft` };
      return { kind: 'tag', tag: p.release.tag_name, commitSha: null, repository: p.repository.full_name };
    }
    case 'pull_request': {
      const p = parsePayload(GithubPullRequest, payload);
      if (!PULL_ACTIONS.has(p.action)) return { kind: 'ignored', reason: `pull_request action "${p.action.slice(0, 60)}" is not handled (opened, synchronize, reopened and labeled are)` };
      const head = p.pull_request.head;
      return {
        kind: 'pull',
        action: p.action as PullAction,
        number: p.number,
        headSha: head.sha,
        baseRef: p.pull_request.base.ref,
        label: p.label?.name ?? null,
        labels: (p.pull_request.labels ?? []).map((l) => l.name),
        // A deleted fork leaves head.repo null: still not the base repository.
        fromFork: head.repo?.full_name !== p.pull_request.base.repo.full_name,
        repository: p.repository.full_name,
      };
    }
    case 'issue_comment': {
      const p = parsePayload(GithubIssueComment, payload);
      if (p.action !== 'created') return { kind: 'ignored', reason: `issue_comment action "${p.action.slice(0, 60)}" is not handled (created is)` };
      if (!p.issue.pull_request) return { kind: 'ignored', reason: `issue #${p.issue.number} is not a pull request` };
      return {
        kind: 'comment',
        number: p.issue.number,
        body: p.comment.body,
        author: p.comment.user.login,
        authorId: p.comment.user.login,
        association: p.comment.author_association ?? null,
        defaultBranch: p.repository.default_branch ?? null,
        repository: p.repository.full_name,
      };
    }
    default:
      // The wording the contract's tests hold (pull requests and comments come on top, when configured).
      return { kind: 'ignored', reason: `event "${event.slice(0, 60)}" is not handled (create, push and release of tags are)` };
  }
}

/** GitLab's merge request actions as GitHub's: `update` is a push when it carries `oldrev`, a label when labels grew. */
function mergeRequestAction(p: ReturnType<typeof GitlabMergeRequest.parse>): { action: PullAction; label: string | null } | string {
  const action = p.object_attributes.action ?? '';
  if (action === 'open') return { action: 'opened', label: null };
  if (action === 'reopen') return { action: 'reopened', label: null };
  if (action === 'update' && p.object_attributes.oldrev) return { action: 'synchronize', label: null };
  const labels = p.changes?.labels;
  if (action === 'update' && labels) {
    const before = new Set(labels.previous.map((l) => l.title));
    const added = labels.current.find((l) => !before.has(l.title));
    if (added) return { action: 'labeled', label: added.title };
  }
  return `merge request action "${action.slice(0, 60)}" is not handled (open, reopen, a push or a new label are)`;
}

export function gitlabEvent(event: string, payload: unknown): ForgeEvent {
  if (event === 'Merge Request Hook') {
    const p = parsePayload(GitlabMergeRequest, payload);
    const action = mergeRequestAction(p);
    if (typeof action === 'string') return { kind: 'ignored', reason: action };
    const a = p.object_attributes;
    return {
      kind: 'pull',
      ...action,
      number: a.iid,
      headSha: a.last_commit.id,
      baseRef: a.target_branch,
      labels: (p.labels ?? []).map((l) => l.title),
      fromFork: a.source_project_id !== a.target_project_id,
      repository: p.project.path_with_namespace,
      projectId: a.target_project_id,
    };
  }
  if (event === 'Note Hook') {
    const p = parsePayload(GitlabNote, payload);
    if (p.object_attributes.noteable_type !== 'MergeRequest' || !p.merge_request) return { kind: 'ignored', reason: 'a note on something other than a merge request' };
    return {
      kind: 'comment',
      number: p.merge_request.iid,
      body: p.object_attributes.note,
      author: p.user.username,
      authorId: p.object_attributes.author_id,
      association: null,
      defaultBranch: p.merge_request.target_branch ?? p.project.default_branch ?? null,
      repository: p.project.path_with_namespace,
    };
  }
  if (event !== 'Tag Push Hook') return { kind: 'ignored', reason: `event "${event.slice(0, 60)}" is not handled (Tag Push Hook is)` };
  const p = parsePayload(GitlabTagPush, payload);
  if (p.object_kind !== 'tag_push') return { kind: 'ignored', reason: `object_kind "${p.object_kind.slice(0, 60)}" is not tag_push` };
  if (!p.ref.startsWith(TAG_PREFIX)) return { kind: 'ignored', reason: `push to ${p.ref}, not a tag` };
  const tag = p.ref.slice(TAG_PREFIX.length);
  if (p.checkout_sha === null) return { kind: 'ignored', reason: `tag ${tag} was deleted` };
  return { kind: 'tag', tag, commitSha: commitId(p.checkout_sha), repository: p.project.path_with_namespace, projectId: p.project.id ?? p.project_id };
}
