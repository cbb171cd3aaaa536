/**
 * The pull-request loop on the real orchestrator and store, fake git and queue, and the forge
 * stand-in over HTTP (its GitHub requests checked against @octokit/openapi): a PR's head becomes a run
 * against its merge base, its check run goes queued -> in_progress -> completed, its comment is edited
 * in place, and a new head cancels the previous head's unfinished run.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../common/config.js';
import { logger } from '../../common/logger.js';
import { parseMatrix, type ResolvedMatrix } from '../../common/matrix/load.js';
import { fetchForge } from '../adapters.js';
import { forgeOf, type CommentEvent, type PullEvent } from '../forges/index.js';
import { Orchestrator } from '../runs/orchestrator.js';
import type { Store } from '../store/store.js';
import { fakePorts, fakeSha, memoryStore } from '../testing/fakes.js';
import { startForgeHttp, type ForgeHttp } from '../testing/forge-http.js';
import { built, done, outcome, started } from '../testing/harness.js';
import { PullEvents } from './pull-event.js';
import { PullReporter } from './reporter.js';

const REPO = 'https://git.example.org/quarry.git';
const TOKEN = 'ghs_pullsTestToken';
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Array<Record<string, any>> }>;
const opened = examples.find((e) => e.name === 'pull_request')!.examples.find((e) => e.action === 'opened')!;
const commented = examples.find((e) => e.name === 'issue_comment')!.examples.find((e) => e.action === 'created')!;

/** GitHub's own example of a new comment, moved onto quarry's PR 7. */
function commentEvent(body: string, association: string): CommentEvent {
  const payload = structuredClone(commented);
  payload.issue.number = 7;
  payload.issue.pull_request = { url: 'https://api.github.com/repos/acme/quarry/pulls/7' };
  payload.comment.body = body;
  payload.comment.author_association = association;
  payload.comment.user.login = 'maria';
  payload.repository.default_branch = 'main';
  const event = forgeOf('github').parseEvent('issue_comment', payload);
  if (event.kind !== 'comment') throw new Error(`not a comment: ${JSON.stringify(event)}`);
  return event;
}

const commits = Array.from({ length: 8 }, (_, i) => ({ sha: fakeSha(`q${i}`), subject: `change ${i}` }));

function matrixOf(pullRequests: string): ResolvedMatrix {
  return parseMatrix(
    `version: 1
defaults: { reruns: 0 }
libraries:
  - name: quarry
    repo: ${REPO}
    forge: { github: acme/quarry }
    bisect: false
    ${pullRequests}
    build: { image: compat-runner:bookworm, command: make }
    consumers:
      - name: app
        repo: https://git.example.org/app.git
        ref: main
        image: compat-runner:bookworm
        installCandidate: 'true'
        test: 'true'
        backends: [sqlite, mysql]
        secretEnv: [APP_TOKEN]
`,
    'matrix.yaml',
  );
}

/** GitHub's own example of an opened PR, moved onto quarry's PR 7 at `head`. */
function pullEvent(action: string, head: string, over: { fork?: boolean; label?: string } = {}): PullEvent {
  const payload = structuredClone(opened);
  payload.action = action;
  payload.number = 7;
  payload.pull_request.head.sha = head;
  payload.pull_request.base.ref = 'main';
  if (over.fork) payload.pull_request.head.repo.full_name = 'someone/quarry-fork';
  else payload.pull_request.head.repo.full_name = payload.pull_request.base.repo.full_name;
  if (over.label) payload.label = { name: over.label };
  const event = forgeOf('github').parseEvent('pull_request', payload);
  if (event.kind !== 'pull') throw new Error(`not a pull event: ${JSON.stringify(event)}`);
  return event;
}

let http: ForgeHttp;
let store: Store;
let ports: ReturnType<typeof fakePorts>;
let reporter: PullReporter;
let orchestrator: Orchestrator;
let events: PullEvents;

function setHead(head: string): void {
  ports.repos.add(REPO, { commits, tags: { 'v1.0.0': commits[0].sha }, refs: { 'refs/heads/main': commits[2].sha, 'refs/pull/7/head': head } });
}

beforeEach(async () => {
  http = await startForgeHttp({ githubToken: TOKEN });
  store = memoryStore();
  ports = fakePorts();
  setHead(commits[4].sha);
  reporter = new PullReporter({ forge: fetchForge(), baseDelayMs: 10, log: logger });
  orchestrator = new Orchestrator(store, ports, {
    log: logger,
    cancels: { mark: async () => undefined },
    hooks: {
      onRunCreated: (run) => reporter.onRunCreated(run),
      onRunChanged: (id) => reporter.onRunChanged(id),
      onRunFinished: (run) => reporter.onRunFinished(run),
    },
  });
  const config = { githubApiUrl: http.url, gitlabApiUrl: `${http.url}/api/v4`, githubToken: TOKEN, gitlabToken: null, publicUrl: 'https://compat.example.com' } as unknown as Config;
  reporter.start({ store, config });
  events = new PullEvents({ store, orchestrator, repos: ports.repos, log: logger, forge: fetchForge(), config });
});

afterEach(async () => {
  reporter.stop();
  store.close();
  await http.close();
});

const on = 'pullRequests: { on: [opened, synchronize, labeled], label: compat }';

/** Builds both sides, starts the first cell, then ends every cell: mysql's candidate fails test_upsert. */
const taken = new Map<string, ReturnType<typeof ports.work.take<'cell'>>>();
async function play(runId: string, { finish = true } = {}) {
  if (!taken.has(runId)) {
    for (const job of ports.work.take('build', (j) => j.runId === runId)) await orchestrator.handle(built(job));
    const cells = ports.work.take('cell', (j) => j.runId === runId);
    taken.set(runId, cells);
    await orchestrator.handle(started(cells[0]));
    await reporter.idle();
  }
  if (!finish) return;
  for (const job of taken.get(runId)!) {
    const breaks = job.side === 'candidate' && job.cellId === 'app.mysql';
    await orchestrator.handle(done(job, breaks ? { ...outcome(['test_insert'], ['test_upsert']), tests: [{ id: 'test_insert', status: 'passed' }, { id: 'test_upsert', status: 'failed', message: '\npymysql.err.ProgrammingError: (1064, "You have an error in your SQL syntax")\n  at line 1' }] } : outcome(['test_insert', 'test_upsert'])));
  }
  await reporter.idle();
}

describe('a pull request run', () => {
  it('measures the PR head against its merge base; the check run goes queued, in_progress, completed/failure with the table and the failures', async () => {
    const outcome1 = await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('labeled', commits[4].sha, { label: 'compat' }), matrix: matrixOf(on), library: matrixOf(on).libraries[0] }, 'github:d1');
    expect(outcome1).toEqual({ runId: expect.any(String) });
    const runId = (outcome1 as { runId: string }).runId;
    const run = store.getRun(runId)!;
    expect(run).toMatchObject({ candidate: 'refs/pull/7/head', candidateSha: commits[4].sha, baselineSha: commits[2].sha, trigger: 'webhook' });
    await reporter.idle();
    expect(http.checkRuns).toHaveLength(1);
    expect(http.checkRuns[0]).toMatchObject({ repo: 'acme/quarry', name: 'compat-matrix/quarry', head_sha: commits[4].sha, statuses: ['queued'] });

    await play(runId, { finish: false });
    expect(http.checkRuns[0].statuses).toEqual(['queued', 'in_progress']);
    await play(runId);
    expect(store.getRun(runId)!.verdict).toBe('blocked');
    const check = http.checkRuns[0];
    expect(check.statuses.at(-1)).toBe('completed');
    expect(check.statuses.filter((s) => s === 'queued')).toHaveLength(1);
    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toBe('1 regression in 2 cells');
    expect(check.output.summary).toContain('| consumer | mysql | sqlite |');
    expect(check.output.summary).toMatch(/\| app \| \[❌ regression \(1 new\)\]\(https:\/\/compat\.example\.com\/runs\/[^/]+\/cells\/app\.mysql\) \| \[✅ pass\]\([^)]+\/cells\/app\.sqlite\) \|/);
    expect(check.output.summary).toContain(`against the merge base with \`main\` (${commits[2].sha.slice(0, 7)})`);
    expect(check.output.text).toContain('- `test_upsert`: pymysql.err.ProgrammingError: (1064, "You have an error in your SQL syntax")');
    expect(http.comments).toHaveLength(1);
    expect(http.comments[0].body).toContain('❌ regression');
    expect(http.problems).toEqual([]);
  });

  it('a new push: the comment is edited, not posted again, and the previous head\'s unfinished run is cancelled', async () => {
    const matrix = matrixOf(on.replace(', label: compat', ''));
    const library = matrix.libraries[0];
    const first = (await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('opened', commits[4].sha), matrix, library }, 'github:a')) as { runId: string };
    await play(first.runId, { finish: false });
    // The same head again (a redelivery under another id, a label): the run it has.
    expect(await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('synchronize', commits[4].sha), matrix, library }, 'github:b')).toEqual(first);

    setHead(commits[5].sha);
    const second = (await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('synchronize', commits[5].sha), matrix, library }, 'github:c')) as { runId: string };
    expect(second.runId).not.toBe(first.runId);
    expect(store.getRun(first.runId)).toMatchObject({ status: 'done', verdict: 'cancelled' });
    // Its queued cells are gone; nothing of a finished run is touched.
    expect(ports.work.queued.filter((j) => j.runId === first.runId)).toEqual([]);
    await reporter.idle();
    await play(second.runId);

    expect(http.comments).toHaveLength(1);
    expect(http.comments[0].edits).toBeGreaterThan(0);
    expect(http.comments[0].body).toContain(commits[5].sha.slice(0, 7));
    const [old, current] = http.checkRuns;
    expect([old.head_sha, old.statuses.at(-1), old.conclusion, old.output.title]).toEqual([commits[4].sha, 'completed', 'action_required', 'Cancelled: a newer push replaced this head']);
    expect([current.head_sha, current.conclusion]).toEqual([commits[5].sha, 'failure']);
    expect(http.problems).toEqual([]);
  });

  it('a fork\'s PR runs with no consumer secretEnv, and the comment names what was withheld', async () => {
    const matrix = matrixOf('pullRequests: {}');
    const { runId } = (await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('opened', commits[4].sha, { fork: true }), matrix, library: matrix.libraries[0] }, null)) as { runId: string };
    expect(store.runMeta(runId)?.pull).toMatchObject({ fromFork: true, withheld: ['app: APP_TOKEN'] });
    const jobs = ports.work.take('build', (j) => j.runId === runId);
    for (const job of jobs) await orchestrator.handle(built(job));
    const cells = ports.work.take('cell', (j) => j.runId === runId);
    expect(cells.length).toBe(4);
    for (const cell of cells) expect(cell.consumer.secretEnv).toEqual([]);
    await reporter.idle();
    expect(http.comments[0].body).toContain('Secrets withheld (pull request from a fork, not approved): `app: APP_TOKEN`');
  });

  it('off by default; only the actions in `on`; a label filter', async () => {
    const pull = pullEvent('opened', commits[4].sha);
    const off = matrixOf('');
    expect(await events.runForPull({ forge: 'github', event: 'pull_request', pull, matrix: off, library: off.libraries[0] }, null)).toEqual({ ignored: 'pull requests start no run for quarry (no pullRequests: in matrix.yaml)' });
    const labelled = matrixOf(on);
    const library = labelled.libraries[0];
    expect(await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('reopened', commits[4].sha), matrix: labelled, library }, null)).toMatchObject({ ignored: expect.stringContaining('"reopened" is not in pullRequests.on') });
    expect(await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('labeled', commits[4].sha, { label: 'docs' }), matrix: labelled, library }, null)).toEqual({ ignored: 'label "docs" is not "compat"' });
    expect(await events.runForPull({ forge: 'github', event: 'pull_request', pull, matrix: labelled, library }, null)).toEqual({ ignored: 'pull request #7 does not carry the label "compat"' });
    expect(http.requests).toEqual([]);
  });

  it('baseline: latest-release measures against the highest release tag', async () => {
    const matrix = matrixOf('pullRequests: { baseline: latest-release }');
    const { runId } = (await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('opened', commits[4].sha), matrix, library: matrix.libraries[0] }, null)) as { runId: string };
    expect(store.getRun(runId)).toMatchObject({ baseline: 'v1.0.0', baselineSha: commits[0].sha });
  });
});

describe('/compat comments', () => {
  const matrix = () => matrixOf('pullRequests: { on: [opened] }');

  it('from a collaborator: a run of what it selects, on the PR head, and a reply naming it', async () => {
    const m = matrix();
    const result = await events.onComment({ forge: 'github', comment: commentEvent('/compat run --backend mysql', 'COLLABORATOR'), matrix: m, library: m.libraries[0] }, null);
    expect(result).toEqual({ runId: expect.any(String) });
    const run = store.getRun((result as { runId: string }).runId)!;
    expect(run).toMatchObject({ candidate: 'refs/pull/7/head', candidateSha: commits[4].sha, baselineSha: commits[2].sha });
    expect(run.cells.map((c) => c.id)).toEqual(['app.mysql']);
    const replies = http.comments.filter((c) => c.body.startsWith('@maria'));
    expect(replies.map((c) => c.body)).toEqual([`@maria: started run ${run.id}.`]);
    expect(http.problems).toEqual([]);
  });

  it('--baseline names what the head is measured against, instead of the merge base', async () => {
    const m = matrix();
    const result = (await events.onComment({ forge: 'github', comment: commentEvent('/compat run --baseline v1.0.0', 'OWNER'), matrix: m, library: m.libraries[0] }, null)) as { runId: string };
    const run = store.getRun(result.runId)!;
    expect(run).toMatchObject({ candidateSha: commits[4].sha, baseline: 'v1.0.0', baselineSha: commits[0].sha });
    expect(store.runMeta(run.id)?.pull?.baseline).toBe('named');
    // A baseline the planner cannot find is the writer's reply, and nothing runs.
    const before = store.listRuns().length;
    await events.onComment({ forge: 'github', comment: commentEvent('/compat run --baseline v9.9.9', 'OWNER'), matrix: m, library: m.libraries[0] }, null);
    expect(store.listRuns().length).toBe(before);
    expect(http.comments.at(-1)?.body).toMatch(/^@maria: .*v9\.9\.9/);
  });

  it('from anyone else: nothing runs, and the reply says why', async () => {
    const m = matrix();
    const result = await events.onComment({ forge: 'github', comment: commentEvent('/compat run', 'CONTRIBUTOR'), matrix: m, library: m.libraries[0] }, null);
    expect(result).toEqual({ ignored: 'maria may not write to the repository' });
    expect(store.listRuns({ library: 'quarry' })).toEqual([]);
    expect(http.comments.map((c) => c.body)).toEqual(['@maria: nothing ran. /compat commands are honoured from OWNER, MEMBER, COLLABORATOR of acme/quarry; GitHub says you are CONTRIBUTOR.']);
  });

  it('a malformed command from a writer gets the CLI\'s error', async () => {
    const m = matrix();
    await events.onComment({ forge: 'github', comment: commentEvent('/compat run --consumer', 'OWNER'), matrix: m, library: m.libraries[0] }, null);
    expect(http.comments[0].body).toMatch(/^@maria: error: option '--consumer <name>' argument missing/);
    expect(store.listRuns({ library: 'quarry' })).toEqual([]);
  });

  it('a writer\'s run on a fork\'s PR is the approval: its secrets are passed', async () => {
    const m = matrixOf('pullRequests: { on: [opened] }');
    const first = (await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('opened', commits[4].sha, { fork: true }), matrix: m, library: m.libraries[0] }, null)) as { runId: string };
    expect(store.runMeta(first.runId)?.pull?.withheld).toEqual(['app: APP_TOKEN']);
    const approved = (await events.onComment({ forge: 'github', comment: commentEvent('/compat run', 'MEMBER'), matrix: m, library: m.libraries[0] }, null)) as { runId: string };
    expect(store.runMeta(approved.runId)?.pull).toMatchObject({ fromFork: true, withheld: [], approvedBy: 'maria' });
    for (const job of ports.work.take('build', (j) => j.runId === approved.runId)) await orchestrator.handle(built(job));
    for (const cell of ports.work.take('cell', (j) => j.runId === approved.runId)) expect(cell.consumer.secretEnv).toEqual(['APP_TOKEN']);
  });
});

describe('a restart', () => {
  it('a new reporter on the same store finds the run\'s check run and the PR\'s comment, and edits them', async () => {
    const m = matrixOf('pullRequests: {}');
    const { runId } = (await events.runForPull({ forge: 'github', event: 'pull_request', pull: pullEvent('opened', commits[4].sha), matrix: m, library: m.libraries[0] }, null)) as { runId: string };
    await reporter.idle();
    expect([http.checkRuns.length, http.comments.length]).toEqual([1, 1]);
    reporter.stop();
    // The server that comes back: nothing in memory, the same store and forge.
    reporter = new PullReporter({ forge: fetchForge(), baseDelayMs: 10, log: logger });
    reporter.start({ store, config: { githubApiUrl: http.url, gitlabApiUrl: `${http.url}/api/v4`, githubToken: TOKEN, gitlabToken: null, publicUrl: 'https://compat.example.com' } as unknown as Config });
    await play(runId);
    expect(http.checkRuns).toHaveLength(1);
    // The new server sends its first state again (it cannot know the old one's last), then goes on.
    expect(http.checkRuns[0].statuses.filter((st, i, all) => st !== all[i - 1])).toEqual(['queued', 'in_progress', 'completed']);
    expect(http.checkRuns[0].conclusion).toBe('failure');
    expect(http.comments).toHaveLength(1);
    expect(http.comments[0].edits).toBeGreaterThan(0);
    expect(http.problems).toEqual([]);
  });
});
