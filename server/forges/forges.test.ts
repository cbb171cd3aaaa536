import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { githubRequestProblems } from '../testing/openapi.js';
import { forgeOf, FORGE_KINDS } from './index.js';
import type { CheckRunContent, PullEvent } from './types.js';

/** GitHub's own example payloads, as @octokit/webhooks-examples publishes them. */
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Array<Record<string, any>> }>;
const pullRequests = examples.find((e) => e.name === 'pull_request')!.examples;

const api = { githubApiUrl: 'https://api.github.com', gitlabApiUrl: 'https://gitlab.example.com/api/v4' };
const github = forgeOf('github');
const gitlab = forgeOf('gitlab');
const SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';

describe('the registry', () => {
  it('has a Forge per kind, each saying its kind', () => {
    expect(FORGE_KINDS.sort()).toEqual(['github', 'gitlab']);
    for (const kind of FORGE_KINDS) expect(forgeOf(kind).kind).toBe(kind);
  });
});

describe('GitHub pull_request events (real payloads)', () => {
  it('every example parses: the handled actions to a pull event, the others to a reason', () => {
    for (const payload of pullRequests) {
      const event = github.parseEvent('pull_request', payload);
      if (['opened', 'synchronize', 'reopened', 'labeled'].includes(payload.action)) {
        expect(event).toMatchObject({ kind: 'pull', action: payload.action, number: payload.number, headSha: payload.pull_request.head.sha, baseRef: payload.pull_request.base.ref });
      } else {
        expect(event).toMatchObject({ kind: 'ignored', reason: expect.stringContaining(payload.action) });
      }
    }
  });

  it('labeled carries the label added; a head in another repository is a fork', () => {
    const labeled = pullRequests.find((p) => p.action === 'labeled')!;
    expect((github.parseEvent('pull_request', labeled) as PullEvent).label).toBe(labeled.label.name);
    const opened = structuredClone(pullRequests.find((p) => p.action === 'opened')!);
    expect((github.parseEvent('pull_request', opened) as PullEvent).fromFork).toBe(opened.pull_request.head.repo.full_name !== opened.pull_request.base.repo.full_name);
    opened.pull_request.head.repo = { ...opened.pull_request.head.repo, full_name: 'someone/fork' };
    expect((github.parseEvent('pull_request', opened) as PullEvent).fromFork).toBe(true);
    opened.pull_request.head.repo = null;
    expect((github.parseEvent('pull_request', opened) as PullEvent).fromFork).toBe(true);
  });

  it('the PR head is fetched where GitHub publishes it', () => {
    expect(github.pullHeadRef(7)).toBe('refs/pull/7/head');
    expect(gitlab.pullHeadRef(7)).toBe('refs/merge-requests/7/head');
  });
});

describe('comments (real GitHub payloads; GitLab\'s documented Note Hook)', () => {
  const comments = examples.find((e) => e.name === 'issue_comment')!.examples;

  it('GitHub: a created comment on a PR is a comment event with its author_association; on an issue, or edited, it is ignored', () => {
    const created = structuredClone(comments.find((c) => c.action === 'created')!);
    expect(github.parseEvent('issue_comment', created)).toMatchObject({ kind: 'ignored', reason: `issue #${created.issue.number} is not a pull request` });
    created.issue.pull_request = { url: 'https://api.github.com/repos/x/y/pulls/1' };
    expect(github.parseEvent('issue_comment', created)).toMatchObject({ kind: 'comment', number: created.issue.number, body: created.comment.body, author: created.comment.user.login, association: 'OWNER' });
    expect(github.writerByPayload(github.parseEvent('issue_comment', created) as never, ['OWNER'])).toBe(true);
    expect(github.writerByPayload(github.parseEvent('issue_comment', created) as never, ['MEMBER'])).toBe(false);
    expect(github.parseEvent('issue_comment', comments.find((c) => c.action === 'edited')!)).toMatchObject({ kind: 'ignored' });
  });

  it('GitLab: a note on a merge request names its author id, for the members API', () => {
    const note = {
      object_kind: 'note',
      user: { id: 1, username: 'root' },
      project: { id: 5, path_with_namespace: 'gitlabhq/gitlab-test', default_branch: 'master' },
      object_attributes: { id: 1244, note: '/compat run', noteable_type: 'MergeRequest', author_id: 1 },
      merge_request: { iid: 1, target_branch: 'markdown' },
    };
    expect(gitlab.parseEvent('Note Hook', note)).toMatchObject({ kind: 'comment', number: 1, body: '/compat run', author: 'root', authorId: 1, association: null, defaultBranch: 'markdown' });
    expect(gitlab.writerByPayload(gitlab.parseEvent('Note Hook', note) as never, ['OWNER'])).toBeNull();
    expect(gitlab.parseEvent('Note Hook', { ...note, object_attributes: { ...note.object_attributes, noteable_type: 'Commit' } })).toMatchObject({ kind: 'ignored' });
  });
});

describe('GitLab Merge Request Hook', () => {
  // The shape GitLab documents (user/project/integrations/webhook_events: merge request events).
  const hook = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 1, username: 'root' },
    project: { id: 1, path_with_namespace: 'gitlabhq/gitlab-test', git_http_url: 'http://example.com/gitlabhq/gitlab-test.git', web_url: 'http://example.com/gitlabhq/gitlab-test' },
    object_attributes: { id: 99, iid: 1, target_branch: 'master', source_branch: 'ms-viewport', source_project_id: 14, target_project_id: 14, state: 'opened', last_commit: { id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', message: 'fixed readme' }, ...attributes },
    labels: [{ id: 206, title: 'API' }],
    ...extra,
  });

  it('open, reopen and a push (oldrev) are opened, reopened, synchronize', () => {
    expect(gitlab.parseEvent('Merge Request Hook', hook({ action: 'open' }))).toMatchObject({ kind: 'pull', action: 'opened', number: 1, headSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', baseRef: 'master', fromFork: false, labels: ['API'], projectId: 14 });
    expect(gitlab.parseEvent('Merge Request Hook', hook({ action: 'reopen' }))).toMatchObject({ action: 'reopened' });
    expect(gitlab.parseEvent('Merge Request Hook', hook({ action: 'update', oldrev: 'a'.repeat(40) }))).toMatchObject({ action: 'synchronize' });
  });

  it('a label added is labeled; other updates, merges and closes are ignored; another source project is a fork', () => {
    const labels = { previous: [{ title: 'API' }], current: [{ title: 'API' }, { title: 'compat' }] };
    expect(gitlab.parseEvent('Merge Request Hook', hook({ action: 'update' }, { changes: { labels } }))).toMatchObject({ action: 'labeled', label: 'compat' });
    expect(gitlab.parseEvent('Merge Request Hook', hook({ action: 'update' }, { changes: { title: { previous: 'a', current: 'b' } } }))).toMatchObject({ kind: 'ignored' });
    expect(gitlab.parseEvent('Merge Request Hook', hook({ action: 'merge' }))).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('merge') });
    expect(gitlab.parseEvent('Merge Request Hook', hook({ action: 'open', source_project_id: 15 }))).toMatchObject({ fromFork: true });
  });
});

describe('requests, against GitHub\'s published description', () => {
  const target = { forge: 'github' as const, repository: 'acme/quarry' };
  const check: CheckRunContent = { name: 'compat-matrix/quarry', headSha: SHA, status: 'queued', detailsUrl: 'https://compat.example.com/runs/r1', externalId: 'r1', title: '0 of 3 cells decided', summary: '| consumer | sqlite |' };
  const path = (url: string) => new URL(url).pathname;

  it('a check run created queued, updated in_progress, completed with a conclusion and text', () => {
    const requests = [
      github.checkRunRequest(api, target, check, null, 't')!,
      github.checkRunRequest(api, target, { ...check, status: 'in_progress', startedAt: '2026-12-04T20:00:00Z' }, 7, 't')!,
      github.checkRunRequest(api, target, { ...check, status: 'completed', conclusion: 'failure', completedAt: '2026-12-04T20:10:00Z', text: '### app.mysql' }, 7, 't')!,
    ];
    expect(requests.map((r) => `${r.method} ${path(r.url)}`)).toEqual(['POST /repos/acme/quarry/check-runs', 'PATCH /repos/acme/quarry/check-runs/7', 'PATCH /repos/acme/quarry/check-runs/7']);
    for (const r of requests) expect(githubRequestProblems(r.method, path(r.url), r.body)).toEqual([]);
    expect(requests[2].body).toMatchObject({ status: 'completed', conclusion: 'failure', output: { text: '### app.mysql' } });
  });

  it('what the description refuses is caught (the check on the stand-in is not a formality)', () => {
    expect(githubRequestProblems('PATCH', '/repos/acme/quarry/check-runs/7', { status: 'done' })).toContainEqual(expect.stringContaining('body.status: must be one of'));
    expect(githubRequestProblems('POST', '/repos/acme/quarry/issues/3/comments', {})).toEqual(['body.body: required']);
    expect(githubRequestProblems('POST', '/repos/acme/quarry/nonsense', {})).toEqual([expect.stringContaining('no such route')]);
  });

  it('a comment posted on the PR, edited by its id; a commit status; the permission asked by login', () => {
    const requests = [
      github.commentRequest(api, target, 3, 'table', null, 't'),
      github.commentRequest(api, target, 3, 'table 2', 99, 't'),
      github.statusRequest(api, target, { sha: SHA, state: 'pending', description: 'Testing', targetUrl: 'https://compat.example.com/runs/r1', context: 'compat-matrix/quarry' }, 't'),
      github.listCommentsRequest(api, target, 3, 't'),
      github.permissionRequest(api, target, 'octocat', 't'),
    ];
    expect(requests.map((r) => `${r.method} ${path(r.url)}`)).toEqual([
      'POST /repos/acme/quarry/issues/3/comments',
      'PATCH /repos/acme/quarry/issues/comments/99',
      `POST /repos/acme/quarry/statuses/${SHA}`,
      'GET /repos/acme/quarry/issues/3/comments',
      'GET /repos/acme/quarry/collaborators/octocat/permission',
    ]);
    for (const r of requests) expect(githubRequestProblems(r.method, path(r.url), r.body)).toEqual([]);
    expect(github.writerOf({ permission: 'write' })).toBe(true);
    expect(github.writerOf({ permission: 'read' })).toBe(false);
  });

  it('GitLab: notes on the merge request, edited with PUT; no check run; Developer and above may write', () => {
    const t = { forge: 'gitlab' as const, repository: 'acme/sub/quarry' };
    expect(gitlab.checkRunRequest(api, t, check, null, 't')).toBeNull();
    const post = gitlab.commentRequest(api, t, 4, 'note', null, 't');
    const put = gitlab.commentRequest(api, t, 4, 'note 2', 12, 't');
    expect([post.method, post.url]).toEqual(['POST', 'https://gitlab.example.com/api/v4/projects/acme%2Fsub%2Fquarry/merge_requests/4/notes']);
    expect([put.method, put.url, put.body]).toEqual(['PUT', 'https://gitlab.example.com/api/v4/projects/acme%2Fsub%2Fquarry/merge_requests/4/notes/12', { body: 'note 2' }]);
    expect(gitlab.writerOf({ access_level: 30 })).toBe(true);
    expect(gitlab.writerOf({ access_level: 20 })).toBe(false);
  });
});
