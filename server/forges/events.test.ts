import { describe, expect, it } from 'vitest';
import { githubEvent, githubRepositoryNames, gitlabEvent, gitlabRepositoryNames } from './events.js';
import { PayloadError } from './schema.js';

const repository = { full_name: 'acme/quarry', clone_url: 'https://github.com/acme/quarry.git', html_url: 'https://github.com/acme/quarry' };
const sha = 'a'.repeat(40);

describe('GitHub events', () => {
  it('create of a tag is a tag event without a commit', () => {
    expect(githubEvent('create', { ref: 'v1.1.0', ref_type: 'tag', repository })).toEqual({ kind: 'tag', tag: 'v1.1.0', commitSha: null, repository: 'acme/quarry' });
  });

  it('push of refs/tags/ takes the commit from head_commit (after is the tag object of an annotated tag)', () => {
    expect(githubEvent('push', { ref: 'refs/tags/v1.1.0', after: 'b'.repeat(40), head_commit: { id: sha }, repository })).toMatchObject({ tag: 'v1.1.0', commitSha: sha });
  });

  it('release published or created, not edited or draft', () => {
    expect(githubEvent('release', { action: 'published', release: { tag_name: 'v2.0.0' }, repository })).toMatchObject({ kind: 'tag', tag: 'v2.0.0' });
    expect(githubEvent('release', { action: 'created', release: { tag_name: 'v2.0.0' }, repository })).toMatchObject({ kind: 'tag' });
    expect(githubEvent('release', { action: 'edited', release: { tag_name: 'v2.0.0' }, repository })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('edited') });
    expect(githubEvent('release', { action: 'created', release: { tag_name: 'v2.0.0', draft: true }, repository })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('draft') });
  });

  it('ignores branches, deletions, pings and other events, saying why', () => {
    expect(githubEvent('push', { ref: 'refs/heads/main', after: sha, repository })).toEqual({ kind: 'ignored', reason: 'push to refs/heads/main, not a tag' });
    expect(githubEvent('push', { ref: 'refs/tags/v1.0.0', deleted: true, after: '0'.repeat(40), repository })).toEqual({ kind: 'ignored', reason: 'tag v1.0.0 was deleted' });
    expect(githubEvent('create', { ref: 'feature', ref_type: 'branch', repository })).toEqual({ kind: 'ignored', reason: 'create event for a branch, not a tag' });
    expect(githubEvent('ping', { zen: 'Keep it logically awesome.' })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('ping') });
    expect(githubEvent('issues', {})).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('"issues" is not handled') });
  });

  it('names the missing field', () => {
    expect(() => githubEvent('create', { ref_type: 'tag', repository })).toThrow(new PayloadError('body.ref is required'));
    expect(() => githubEvent('push', { ref: 'refs/tags/v1' })).toThrow(new PayloadError('body.repository is required'));
    expect(() => githubEvent('push', { ref: 'refs/tags/v1', repository: { clone_url: 'x' } })).toThrow(new PayloadError('body.repository.full_name is required'));
    expect(() => githubEvent('release', { action: 'published', release: {}, repository })).toThrow(new PayloadError('body.release.tag_name is required'));
    expect(() => githubEvent('create', { ref: 5, ref_type: 'tag', repository })).toThrow(/body\.ref: /);
  });

  it('reads the repository names leniently, for choosing the secret', () => {
    expect(githubRepositoryNames({ repository })).toEqual({ urls: [repository.clone_url, repository.html_url, null, null], fullName: 'acme/quarry' });
    expect(githubRepositoryNames({ zen: 'x' })).toBeNull();
    expect(githubRepositoryNames({ repository: 'nope' })).toBeNull();
  });
});

describe('GitLab Tag Push Hook', () => {
  const project = { id: 42, path_with_namespace: 'acme/quarry', git_http_url: 'https://gitlab.com/acme/quarry.git', web_url: 'https://gitlab.com/acme/quarry' };

  it('a tag push gives the tag, checkout_sha and project', () => {
    expect(gitlabEvent('Tag Push Hook', { object_kind: 'tag_push', ref: 'refs/tags/v1.1.0', checkout_sha: sha, project })).toEqual({
      kind: 'tag',
      tag: 'v1.1.0',
      commitSha: sha,
      repository: 'acme/quarry',
      projectId: 42,
    });
  });

  it('ignores deletions and other hooks', () => {
    expect(gitlabEvent('Tag Push Hook', { object_kind: 'tag_push', ref: 'refs/tags/v1.1.0', checkout_sha: null, project })).toEqual({ kind: 'ignored', reason: 'tag v1.1.0 was deleted' });
    expect(gitlabEvent('Push Hook', { object_kind: 'push', ref: 'refs/heads/main', project })).toMatchObject({ kind: 'ignored' });
  });

  it('names the missing field', () => {
    expect(() => gitlabEvent('Tag Push Hook', { object_kind: 'tag_push', ref: 'refs/tags/v1', project })).toThrow(new PayloadError('body.checkout_sha is required'));
  });

  it('reads project URLs for matching', () => {
    expect(gitlabRepositoryNames({ project })?.urls).toContain('https://gitlab.com/acme/quarry.git');
  });
});
