/** The check run reporter on a GitHub App's installation tokens: created with one, a revoked one replaced on the 401. */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Config } from '../../common/config.js';
import { logger } from '../../common/logger.js';
import { parseMatrix } from '../../common/matrix/load.js';
import { fetchForge } from '../adapters.js';
import { githubApp } from '../forges/github-app.js';
import { Orchestrator } from '../runs/orchestrator.js';
import type { Store } from '../store/store.js';
import { fakePorts, fakeSha, memoryStore } from '../testing/fakes.js';
import { startForgeHttp, type ForgeHttp } from '../testing/forge-http.js';
import { built, started } from '../testing/harness.js';
import { PullEvents } from './pull-event.js';
import { PullReporter } from './reporter.js';

const REPO = 'https://git.example.org/quarry.git';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const commits = Array.from({ length: 4 }, (_, i) => ({ sha: fakeSha(`a${i}`) }));
let http: ForgeHttp;
let store: Store;
let reporter: PullReporter;

beforeEach(async () => {
  http = await startForgeHttp({ githubToken: 'not-an-app-token', app: { appId: '99', publicKey, installationId: 5 } });
  store = memoryStore();
});
afterEach(async () => {
  reporter.stop();
  store.close();
  await http.close();
});

it('check runs go out on installation tokens; a revoked one is replaced and the update still lands', async () => {
  const ports = fakePorts();
  ports.repos.add(REPO, { commits, tags: { 'v1.0.0': commits[0].sha }, refs: { 'refs/heads/main': commits[1].sha, 'refs/pull/3/head': commits[3].sha } });
  const tokens = githubApp({ appId: '99', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), apiUrl: http.url });
  reporter = new PullReporter({ forge: fetchForge(), githubTokens: tokens, baseDelayMs: 10, log: logger });
  const orchestrator = new Orchestrator(store, ports, { log: logger, hooks: { onRunCreated: (r) => reporter.onRunCreated(r), onRunChanged: (id) => reporter.onRunChanged(id) } });
  // No COMPAT_GITHUB_TOKEN: only the App may write.
  reporter.start({ store, config: { githubApiUrl: http.url, gitlabApiUrl: http.url, githubToken: null, gitlabToken: null, publicUrl: 'https://compat.example.com' } as unknown as Config });
  const matrix = parseMatrix(
    `version: 1
libraries:
  - name: quarry
    repo: ${REPO}
    forge: { github: acme/quarry }
    pullRequests: {}
    build: { image: compat-runner:bookworm, command: make }
    consumers: [{ name: app, repo: https://git.example.org/app.git, ref: main, image: compat-runner:bookworm, installCandidate: 'true', test: 'true', backends: [sqlite] }]
`,
    'matrix.yaml',
  );
  const events = new PullEvents({ store, orchestrator, repos: ports.repos, log: logger });
  const pull = { kind: 'pull' as const, action: 'opened' as const, number: 3, headSha: commits[3].sha, baseRef: 'main', label: null, labels: [], fromFork: false, repository: 'acme/quarry' };
  const { runId } = (await events.runForPull({ forge: 'github', event: 'pull_request', pull, matrix, library: matrix.libraries[0] }, null)) as { runId: string };
  await reporter.idle();
  expect(http.checkRuns.map((c) => c.statuses)).toEqual([['queued']]);
  expect(http.issued).toEqual(['ghs_installation1']);

  http.revoke('ghs_installation1');
  for (const job of ports.work.take('build')) await orchestrator.handle(built(job));
  await orchestrator.handle(started(ports.work.take('cell')[0]));
  await reporter.idle();
  expect(store.getRun(runId)?.status).toBe('running');
  expect(http.issued).toEqual(['ghs_installation1', 'ghs_installation2']);
  expect(http.checkRuns[0].statuses).toEqual(['queued', 'in_progress']);
  expect(http.requests.filter((r) => r.status === 401).map((r) => r.path)).toEqual(['/repos/acme/quarry/check-runs/' + http.checkRuns[0].id]);
  expect(http.problems).toEqual([]);
});
