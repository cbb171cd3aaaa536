import { describe, expect, it } from 'vitest';
import { statusRequest, targetOf, TargetError } from './forges.js';

const config = { githubApiUrl: 'https://api.github.com', gitlabApiUrl: 'https://gitlab.example.com/api/v4' };
const content = { sha: 'a'.repeat(40), state: 'failure' as const, description: '1 regression', targetUrl: 'https://compat.example.com/runs/r1', context: 'compat-matrix/quarry' };

describe('statusRequest', () => {
  it('GitHub: the documented endpoint, headers and body', () => {
    const req = statusRequest(config, { forge: 'github', repository: 'acme/quarry' }, content, 'ghp_x');
    expect(req.url).toBe(`https://api.github.com/repos/acme/quarry/statuses/${'a'.repeat(40)}`);
    expect(req.headers).toMatchObject({
      Authorization: 'Bearer ghp_x',
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': expect.stringContaining('compat-matrix'),
    });
    expect(req.body).toEqual({ state: 'failure', target_url: content.targetUrl, description: '1 regression', context: 'compat-matrix/quarry' });
  });

  it('GitLab: the project path as its id, PRIVATE-TOKEN, its own state names', () => {
    const req = statusRequest(config, { forge: 'gitlab', repository: 'acme/quarry' }, content, 'glpat');
    expect(req.url).toBe(`https://gitlab.example.com/api/v4/projects/acme%2Fquarry/statuses/${'a'.repeat(40)}`);
    expect(req.headers['PRIVATE-TOKEN']).toBe('glpat');
    expect(req.body).toMatchObject({ state: 'failed', name: 'compat-matrix/quarry' });
    const byPath = statusRequest(config, { forge: 'gitlab', repository: 'acme/sub/quarry' }, { ...content, state: 'error' }, 'glpat');
    expect(byPath.url).toContain('/projects/acme%2Fsub%2Fquarry/statuses/');
  });

  it('refuses what could escape the URL path', () => {
    expect(() => statusRequest(config, { forge: 'github', repository: 'acme/../../x' }, content, 't')).toThrow(TargetError);
    expect(() => statusRequest(config, { forge: 'github', repository: '../x' }, content, 't')).toThrow(TargetError);
    expect(() => statusRequest(config, { forge: 'gitlab', repository: 'acme/..' }, content, 't')).toThrow(TargetError);
    expect(() => statusRequest(config, { forge: 'github', repository: 'acme/quarry' }, { ...content, sha: 'v1.0.0' }, 't')).toThrow(TargetError);
  });
});

describe('targetOf', () => {
  it('reads the target matrix.yaml gave the run, never the repository the payload named', () => {
    const meta = { forge: 'github' as const, repository: 'victim/other', projectId: 9, tag: 'v1' };
    expect(targetOf({ ...meta, statusTarget: { forge: 'github', repository: 'acme/quarry', from: 'forge' } as const })).toEqual({ forge: 'github', repository: 'acme/quarry' });
    expect(targetOf({ ...meta, statusTarget: { forge: 'gitlab', repository: 'acme/sub/quarry', from: 'repo' } as const })).toEqual({ forge: 'gitlab', repository: 'acme/sub/quarry' });
    // A payload's own fields are no target, and neither is a run with none configured.
    expect(targetOf(meta)).toBeNull();
    expect(targetOf({ ...meta, statusTarget: null })).toBeNull();
    expect(targetOf({ requestedBy: 'local-cli' })).toBeNull();
  });
});
