/**
 * The pull-request loop end to end (issue 18): a server with the production plugins, a worker running
 * py-inventory's real suite in Docker against MariaDB, Redis, git, and the forge stand-in
 * (server/testing/forge-http.ts: its GitHub requests checked against @octokit/openapi). The PR is on
 * the example library quarry: its head is v1.1.0's commit, whose MySQL upsert breaks py-inventory, on
 * a `main` that stands at v1.0.0. The tests run in order and share the PR.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, REPO_ROOT } from '../common/config.js';
import { pluginOptions } from '../server/main.js';
import { githubSignature } from '../server/forges/signature.js';
import { startForgeHttp, type ForgeHttp } from '../server/testing/forge-http.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const SECRET = 'quarry-pr-secret';
const GITHUB_TOKEN = 'ghs_prTestToken';
const GITLAB_TOKEN = 'glpat-prTestToken';
const QUARRY = path.join(REPO_ROOT, 'examples', '.repos', 'quarry');
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Array<Record<string, any>> }>;
const openedExample = examples.find((e) => e.name === 'pull_request')!.examples.find((e) => e.action === 'opened')!;
const commentExample = examples.find((e) => e.name === 'issue_comment')!.examples.find((e) => e.action === 'created')!;

let stack: Stack;
let forge: ForgeHttp;
let repo: string;
let labRepo: string;
let work: string;
const savedEnv: Record<string, string | undefined> = {};

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

function matrix(dir: string): string {
  // quarry's history, with `main` at v1.0.0 and PR 1's head at v1.1.0, as GitHub publishes them.
  repo = path.join(dir, 'repos', 'quarry.git');
  execFileSync('git', ['clone', '-q', '--mirror', QUARRY, repo]);
  git(repo, 'update-ref', 'refs/heads/main', git(repo, 'rev-parse', 'v1.0.0^{commit}'));
  git(repo, 'update-ref', 'refs/pull/1/head', git(repo, 'rev-parse', 'v1.1.0^{commit}'));
  labRepo = path.join(dir, 'repos', 'quarrylab.git');
  execFileSync('git', ['clone', '-q', '--mirror', repo, labRepo]);
  git(labRepo, 'update-ref', 'refs/merge-requests/2/head', git(repo, 'rev-parse', 'v1.1.0^{commit}'));
  work = mkdtempSync(path.join(os.tmpdir(), 'compat-pr-work-'));
  execFileSync('git', ['clone', '-q', repo, work]);
  const library = (name: string, r: string, forgeSetting: string) => `  - name: ${name}
    repo: ${r}
    forge: ${forgeSetting}
    pullRequests: { on: [opened, synchronize, reopened] }
    build: { image: compat-runner:bookworm, command: sh build-artifacts.sh, timeoutSeconds: 300 }
    consumers:
      - name: py-inventory
        repo: ${path.join(REPO_ROOT, 'examples', '.repos', 'py-inventory')}
        ref: v2.4.0
        image: compat-runner:bookworm
        install: python3 -m venv --system-site-packages /tmp/venv
        installCandidate: /tmp/venv/bin/python -m pip install --no-index --no-deps --no-cache-dir "$COMPAT_ARTIFACT_DIR"/quarry-*.whl
        test: /tmp/venv/bin/python -m pytest -q --junitxml="$COMPAT_RESULTS_DIR/junit.xml"
        backends: [mysql]
        timeoutSeconds: 300
`;
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 1 }
databases: { mysql: { image: compat-mariadb:10.11 } }
libraries:
${library('quarry', repo, '{ github: examples/quarry }')}${library('quarrylab', labRepo, '{ gitlab: examples/quarrylab }')}`,
  );
}

async function deliver(event: string, payload: unknown): Promise<{ status: number; body: any }> {
  const raw = JSON.stringify(payload);
  const res = await fetch(`${stack.server.url}/webhooks/github`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': event, 'X-GitHub-Delivery': crypto.randomUUID(), 'X-Hub-Signature-256': githubSignature(Buffer.from(raw), SECRET) },
    body: raw,
  });
  return { status: res.status, body: await res.json() };
}

/** GitHub's example `pull_request` payload, moved onto quarry's PR 1. */
function pullRequest(action: string, head: string) {
  const p = structuredClone(openedExample);
  p.action = action;
  p.number = 1;
  p.pull_request.number = 1;
  p.pull_request.head.sha = head;
  p.pull_request.base.ref = 'main';
  p.repository = { ...p.repository, full_name: 'examples/quarry', clone_url: repo, html_url: 'https://github.invalid/examples/quarry' };
  p.pull_request.base.repo = p.repository;
  p.pull_request.head.repo = p.repository;
  return p;
}

function comment(body: string, association: string) {
  const p = structuredClone(commentExample);
  p.issue.number = 1;
  p.issue.pull_request = { url: 'https://api.github.com/repos/examples/quarry/pulls/1' };
  p.comment.body = body;
  p.comment.author_association = association;
  p.comment.user.login = association === 'COLLABORATOR' ? 'maintainer' : 'passer-by';
  p.repository = { ...p.repository, full_name: 'examples/quarry', clone_url: repo, default_branch: 'main' };
  return p;
}

async function until<T>(fn: () => T | undefined | false, what: string, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const checkOf = (sha: string) => forge.checkRuns.find((c) => c.head_sha === sha);
const runIds: string[] = [];

beforeAll(async () => {
  forge = await startForgeHttp({ githubToken: GITHUB_TOKEN, gitlabToken: GITLAB_TOKEN });
  const env = {
    COMPAT_WEBHOOK_SECRET: SECRET,
    COMPAT_GITHUB_TOKEN: GITHUB_TOKEN,
    COMPAT_GITLAB_TOKEN: GITLAB_TOKEN,
    COMPAT_GITHUB_API_URL: forge.url,
    COMPAT_GITLAB_API_URL: `${forge.url}/api/v4`,
  };
  for (const [k, v] of Object.entries(env)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  stack = await startStack({ matrix, concurrency: 2, server: pluginOptions(loadConfig()) });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await forge?.close();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('a pull request whose head breaks the MySQL upsert', () => {
  it('its check run goes queued -> in_progress; a second push cancels that run, edits the one comment, and ends completed/failure naming the first bad commit', async () => {
    const head1 = git(repo, 'rev-parse', 'refs/pull/1/head');
    const sent = Date.now();
    const first = await deliver('pull_request', pullRequest('opened', head1));
    expect(first).toEqual({ status: 202, body: { runId: expect.any(String) } });
    runIds.push(first.body.runId);
    await until(() => checkOf(head1), 'the first check run');
    const queuedMs = Date.now() - sent;
    await until(() => checkOf(head1)?.statuses.includes('in_progress'), `in_progress (check run: ${JSON.stringify(checkOf(head1)?.statuses)})`);
    const inProgressMs = Date.now() - sent;
    expect(checkOf(head1)!.statuses.slice(0, 2)).toEqual(['queued', 'in_progress']);
    expect(stack.server.store.getRun(first.body.runId)).toMatchObject({ candidate: 'refs/pull/1/head', candidateSha: head1, baselineSha: git(repo, 'rev-parse', 'v1.0.0^{commit}'), status: 'running' });

    // The second push: one more commit on the PR, published where GitHub puts a PR's head.
    git(work, 'checkout', '-q', head1);
    git(work, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'Second push');
    git(work, 'push', '-q', repo, 'HEAD:refs/pull/1/head');
    const head2 = git(work, 'rev-parse', 'HEAD');
    const second = await deliver('pull_request', pullRequest('synchronize', head2));
    expect(second.status).toBe(202);
    runIds.push(second.body.runId);
    expect(stack.server.store.getRun(first.body.runId)).toMatchObject({ status: 'done', verdict: 'cancelled' });

    const run = await stack.waitForSettled(second.body.runId, 900_000);
    expect(run.verdict).toBe('blocked');
    expect(run.cells.find((c) => c.id === 'py-inventory.mysql')).toMatchObject({ verdict: 'regression', bisect: { status: 'found', firstBad: { subject: 'Use INSERT ... ON DUPLICATE KEY for upsert' } } });
    const check = await until(() => {
      const c = checkOf(head2);
      return c?.statuses.at(-1) === 'completed' && c.output.summary?.includes('First bad commit') ? c : undefined;
    }, 'the completed check run with the bisect', 60_000);
    expect(check.statuses.filter((s, i, all) => s !== all[i - 1])).toEqual(['queued', 'in_progress', 'completed']);
    expect(check.conclusion).toBe('failure');
    expect(check.output.summary).toContain('py-inventory');
    expect(check.output.summary).toContain('❌ regression (5 new)');
    expect(check.output.summary).toContain('Use INSERT ... ON DUPLICATE KEY for upsert');
    expect(check.output.summary!.length).toBeLessThan(65_535);
    expect(check.output.text).toMatch(/### py-inventory\.mysql[\s\S]*1064/);
    expect(checkOf(head1)).toMatchObject({ conclusion: 'action_required' });
    expect(checkOf(head1)!.statuses.at(-1)).toBe('completed');
    // One comment, edited in place, showing the second head.
    const comments = forge.comments.filter((c) => c.body.includes('compat-matrix:pull-request:quarry'));
    expect(comments).toHaveLength(1);
    expect(comments[0].edits).toBeGreaterThan(0);
    expect(comments[0].body).toContain(head2.slice(0, 7));
    expect(forge.problems).toEqual([]);
    // What issue 18 asks to be measured (the tag path's time to pending is measured below).
    console.log(`pull request push -> check run queued ${queuedMs} ms, -> in_progress ${inProgressMs} ms`);
  }, 1_000_000);

  it('a tag push on the same stack: time to its pending commit status, beside the PR path', async () => {
    const sha = git(repo, 'rev-parse', 'v1.1.1^{commit}');
    const raw = { ref: 'refs/tags/v1.1.1', after: sha, head_commit: { id: sha }, repository: { full_name: 'examples/quarry', clone_url: repo } };
    const sent = Date.now();
    expect((await deliver('push', raw)).status).toBe(202);
    await until(() => forge.requests.find((r) => r.path === `/repos/examples/quarry/statuses/${sha}` && r.body?.state === 'pending'), 'the pending status');
    console.log(`tag push -> pending commit status ${Date.now() - sent} ms`);
  }, 300_000);

  it('/compat run --consumer py-inventory from a collaborator runs that consumer; from anyone else nothing runs and the reply says why', async () => {
    const ok = await deliver('issue_comment', comment('/compat run --consumer py-inventory', 'COLLABORATOR'));
    expect(ok).toEqual({ status: 202, body: { runId: expect.any(String) } });
    expect(stack.server.store.getRun(ok.body.runId)!.cells.map((c) => c.consumer)).toEqual(['py-inventory']);
    const before = stack.server.store.listRuns({ library: 'quarry' }).length;
    const refused = await deliver('issue_comment', comment('/compat run', 'NONE'));
    expect(refused).toEqual({ status: 200, body: { ignored: 'passer-by may not write to the repository' } });
    expect(stack.server.store.listRuns({ library: 'quarry' })).toHaveLength(before);
    expect(forge.comments.map((c) => c.body)).toContain('@passer-by: nothing ran. /compat commands are honoured from OWNER, MEMBER, COLLABORATOR of examples/quarry; GitHub says you are NONE.');
    await stack.server.orchestrator.cancelRun(ok.body.runId, 'test');
  }, 120_000);
});

describe('GitLab', () => {
  it('a merge request gets its note and its commit status', async () => {
    const head = git(labRepo, 'rev-parse', 'refs/merge-requests/2/head');
    const hook = {
      object_kind: 'merge_request',
      event_type: 'merge_request',
      user: { id: 1, username: 'root' },
      project: { id: 7, path_with_namespace: 'examples/quarrylab', git_http_url: labRepo, web_url: 'https://gitlab.invalid/examples/quarrylab' },
      object_attributes: { iid: 2, action: 'open', target_branch: 'main', source_project_id: 7, target_project_id: 7, last_commit: { id: head } },
      labels: [],
    };
    const raw = JSON.stringify(hook);
    const res = await fetch(`${stack.server.url}/webhooks/gitlab`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': 'Merge Request Hook', 'X-Gitlab-Token': SECRET }, body: raw });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    await until(() => forge.comments.find((c) => c.repo === 'examples/quarrylab' && c.number === 2), 'the merge request note', 60_000);
    // The stand-in records the path as sent: GitLab's project id is the URL-encoded path.
    await until(() => forge.requests.find((r) => r.path === `/api/v4/projects/examples%2Fquarrylab/statuses/${head}`), 'the commit status', 60_000);
    expect(forge.checkRuns.filter((c) => c.repo === 'examples/quarrylab')).toEqual([]);
    await stack.server.orchestrator.cancelRun(runId, 'test');
  }, 120_000);
});
