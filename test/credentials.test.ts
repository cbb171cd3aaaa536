/**
 * Repository URLs with a user and token in them (`https://user:TOKEN@host/repo.git`), as private
 * libraries and consumers are often written in matrix.yaml. The clones really need them (the git host
 * here refuses anonymous reads), and nothing the server or the CLI says may repeat them: no API answer
 * (runs, cells, logs, gate, history, events, errors), no process log, no commit status, no reproduce
 * script, no CLI output.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../common/types.js';
import { githubSignature } from '../server/forges/signature.js';
import { startFakeGithub, type FakeGithub } from './helpers/fake-github.js';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { startGitHttp, type GitHttp } from './helpers/git-http.js';
import { createDeployment, runCompat, until, type Deployment } from './helpers/processes.js';
import { writeMatrix } from './helpers/stack.js';
import { textOfFilesUnder } from './helpers/files.js';

const TOKEN = `s3cret-token-${randomUUID().slice(0, 8)}`;
const WEBHOOK_SECRET = 'credentials-test-webhook-secret';
const GITHUB_TOKEN = 'ghp_credentialsTestToken';

let d: Deployment;
let git: GitHttp;
let fake: FakeGithub;
let libUrl = '';
/** The deployment's fixture repositories, which the git host serves (known once the deployment exists). */
let reposRoot = '';

function matrix(dir: string): string {
  const repos = path.join(dir, 'repos');
  reposRoot = repos;
  fixtureLibrary(path.join(repos, 'lib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'ok'],
  ]);
  fixtureConsumer(path.join(repos, 'app'));
  libUrl = git.urlOf('lib');
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 0 }
libraries:
  - name: lib
    repo: ${libUrl}
    forge: { github: fixtures/lib }
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        repo: ${git.urlOf('app')}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [sqlite, postgres]
        timeoutSeconds: 60
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
      - name: echoer
        repo: ${git.urlOf('app')}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: "true"
        # A suite that prints a URL with credentials (here from its env): the log shows it without them.
        test: echo "index at $PRIVATE_INDEX"
        env: { PRIVATE_INDEX: "${libUrl}/simple" }
        backends: [sqlite]
      - name: gone
        repo: ${git.urlOf('gone')}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: "true"
        test: "true"
        backends: [sqlite]
  - name: broken
    repo: ${git.urlOf('nope')}
    build: { image: compat-runner:bookworm, command: sh build.sh }
    consumers:
      - name: app
        repo: ${git.urlOf('app')}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: "true"
        test: "true"
        backends: [sqlite]
`,
  );
}

/** The first event of a run's stream (the whole run), then the connection is dropped. */
async function firstEvent(url: string): Promise<string> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  controller.abort();
  return text;
}

beforeAll(async () => {
  fake = await startFakeGithub({ token: GITHUB_TOKEN });
  git = await startGitHttp(() => reposRoot, 'user', TOKEN);
  d = await createDeployment({
    matrix,
    env: { COMPAT_WEBHOOK_SECRET: WEBHOOK_SECRET, COMPAT_GITHUB_TOKEN: GITHUB_TOKEN, COMPAT_GITHUB_API_URL: fake.url, COMPAT_LOG_LEVEL: 'debug' },
  });
  await d.startServer();
  await d.startWorker({ concurrency: 2 });
}, 180_000);

afterAll(async () => {
  await d?.cleanup();
  await git?.close();
  await fake?.close();
});

describe('credentials in repository URLs', () => {
  it('are used to clone, and appear in no API answer, log, status, reproduce script or CLI output', async () => {
    // The host refuses anonymous reads: a clone works only with the credentials.
    const anonymous = await fetch(`${libUrl.replace(`user:${TOKEN}@`, '')}/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);

    // A tag webhook starts the run (and, with a GitHub token, commit statuses for it).
    const raw = JSON.stringify({
      ref: 'v1.1.0',
      ref_type: 'tag',
      master_branch: 'main',
      pusher_type: 'user',
      repository: { full_name: 'fixtures/lib', clone_url: libUrl.replace(`user:${TOKEN}@`, '') },
      sender: { login: 'maintainer' },
    });
    const hook = await d.api('POST', '/webhooks/github', raw, null, {
      'X-GitHub-Event': 'create',
      'X-GitHub-Delivery': randomUUID(),
      'X-Hub-Signature-256': githubSignature(Buffer.from(raw), WEBHOOK_SECRET),
    });
    expect(hook.status, hook.text).toBe(202);
    const run: RunJson = await d.waitForRun(hook.body.runId, 300_000);
    // The clones went through the private host with the credentials: the suite really ran.
    expect(run.cells.find((c) => c.id === 'app.sqlite')).toMatchObject({ verdict: 'pass', candidate: { status: 'passed' } });
    // A consumer whose repository is missing errors, with a reason that still says which repository.
    const gone = run.cells.find((c) => c.id === 'gone.sqlite')!;
    expect(gone.verdict).toBe('error');
    expect(gone.candidate.reason).toContain('/gone');
    for (const side of ['candidate', 'baseline']) {
      const log = await d.api('GET', `/api/runs/${run.id}/cells/echoer.sqlite/logs?side=${side}`, undefined, null);
      expect(log.text).toMatch(/index at http:\/\/127\.0\.0\.1:\d+\/lib\/simple/);
    }
    await until('the final commit status', () => fake.statuses().find((s) => s.state !== 'pending'), 60_000);

    // A library whose repository cannot be cloned: the error names it, without its credentials.
    const refused = await d.api('POST', '/api/runs', { library: 'broken', candidate: 'v1.0.0' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('/nope');

    const answers: string[] = [refused.text, hook.text];
    const routes = [
      '/api/runs',
      `/api/runs/${run.id}`,
      '/api/gate?library=lib&version=1.1.0',
      '/api/history?library=lib&consumer=app',
      '/api/history?library=lib&consumer=gone',
      `/api/runs/${run.id}/builds/candidate/logs`,
      `/api/runs/${run.id}/builds/baseline/logs`,
      '/metrics',
      '/readyz',
    ];
    for (const cell of run.cells) {
      routes.push(`/api/runs/${run.id}/cells/${cell.id}`);
      for (const side of ['candidate', 'baseline']) routes.push(`/api/runs/${run.id}/cells/${cell.id}/logs?side=${side}`);
    }
    for (const route of routes) {
      const res = await d.api('GET', route, undefined, null);
      expect(res.status, route).toBeLessThan(500);
      answers.push(res.text);
    }
    answers.push(await firstEvent(`${d.url}/api/runs/${run.id}/events`));

    // What the dashboard shows to reproduce a cell: repositories without their credentials, and the
    // database login the script itself sets up.
    const detail = await d.api('GET', `/api/runs/${run.id}/cells/app.postgres`, undefined, null);
    expect(detail.body.config.repo).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/app$/);
    for (const cell of run.cells) {
      for (const side of ['candidate', 'baseline']) {
        const script = await d.api('GET', `/api/runs/${run.id}/cells/${cell.id}/repro?side=${side}`, undefined, null);
        expect(script.status).toBe(200);
        answers.push(script.text);
      }
    }
    const script = (await d.api('GET', `/api/runs/${run.id}/cells/app.postgres/repro?side=candidate`, undefined, null)).text;
    expect(script).toMatch(/git clone http:\/\/127\.0\.0\.1:\d+\/lib library/);
    expect(script).toMatch(/git clone http:\/\/127\.0\.0\.1:\d+\/app consumer/);
    expect(script).toContain('-e DATABASE_URL=postgresql://compat:compat@127.0.0.1:5432/compat');

    const cli: string[] = [];
    for (const args of [['report', run.id], ['report', run.id, '--json'], ['gate', '--library', 'lib', '--version', '1.1.0'], ['run', '--library', 'broken', '--candidate', 'v1.0.0']]) {
      const out = await runCompat(args, d.env());
      cli.push(out.output);
    }
    expect(cli[3]).toContain('/nope');

    const places: Record<string, string> = {
      'API answers': answers.join('\n'),
      'commit status requests': JSON.stringify(fake.requests),
      'server log': d.server!.output(),
      'worker log': d.workers[0].output(),
      'archived logs': textOfFilesUnder(path.join(d.dataDir, 'logs')),
      'CLI output': cli.join('\n'),
    };
    expect(places['commit status requests']).toContain('"state":"error"'); // incomplete: the missing consumer
    for (const [where, text] of Object.entries(places)) expect(text.includes(TOKEN), `the token in ${where}`).toBe(false);
  });
});
