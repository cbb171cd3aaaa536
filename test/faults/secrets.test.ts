/**
 * Fault 5: secrets. A consumer's secretEnv values (one from the worker's COMPAT_SECRET_<LIBRARY>__<CONSUMER>__<NAME>,
 * one from its COMPAT_SECRETS_FILE), echoed by its suite to stdout and stderr and written into its JUnit,
 * are masked in the cell log and in the test results; API tokens (the admin token, one made with
 * `compat tokens create`, a wrong one) and the webhook secret never show up in the server's or the
 * worker's log, in any API answer, in archived logs or anywhere in Redis. A consumer whose secretEnv
 * names variables of the worker's own environment (PATH, COMPAT_REDIS_URL, any other) gets none of them.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../common/types.js';
import { githubSignature } from '../../server/forges/signature.js';
import { createDeployment, runCompat, type Deployment } from '../helpers/processes.js';
import { prefixedValues } from '../helpers/redis-keys.js';
import { faultMatrix, lostCells } from './fixtures.js';
import { HostileTally, record } from './report.js';
import { textOfFilesUnder } from '../helpers/files.js';

const CELL_SECRET = `cellsecret-${randomBytes(12).toString('hex')}`;
const FILE_SECRET = `filesecret-${randomBytes(12).toString('hex')}`;
const HOST_ONLY = `hostonly-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsecret-${randomBytes(12).toString('hex')}`;
const WRONG_TOKEN = `cmx_wrong-${randomBytes(12).toString('hex')}`;

const LEAKY = `. ./lib.sh
echo "my secret is $LEAKY_SECRET"
echo "my file secret is $FILE_SECRET"
echo "to stderr: $LEAKY_SECRET" >&2
# Half now, half a second later: two chunks of output, the secret split between them.
half=$((\${#LEAKY_SECRET} / 2))
printf 'split: %s' "$(printf %s "$LEAKY_SECRET" | cut -c1-$half)"
sleep 1
printf '%s\\n' "$(printf %s "$LEAKY_SECRET" | cut -c$((half + 1))-)"
printf '<testsuite name="leak"><testcase classname="leak" name="prints %s"><failure message="token=%s">%s</failure></testcase></testsuite>' "$LEAKY_SECRET" "$LEAKY_SECRET" "$LEAKY_SECRET" > "$COMPAT_RESULTS_DIR/junit.xml"
exit 1
`;

/** Names variables the worker has in its own environment: none of them may reach the container. */
const NOSY = `. ./lib.sh
echo "HOST_ONLY=\${HOST_ONLY:-unset} COMPAT_REDIS_URL=\${COMPAT_REDIS_URL:-unset} LEAKY_SECRET=\${LEAKY_SECRET:-unset}"
echo "PATH=$PATH"
pass nosy
`;

let d: Deployment;
let run: RunJson | null = null;
const tally = new HostileTally();

beforeAll(async () => {
  d = await createDeployment({
    matrix: (dir) =>
      faultMatrix(
        dir,
        [
          { name: 'leaky', suite: 'leaky.sh', extra: ['        secretEnv: [LEAKY_SECRET, FILE_SECRET]'] },
          { name: 'nosy', suite: 'nosy.sh', extra: ['        secretEnv: [PATH, COMPAT_REDIS_URL, HOST_ONLY, LEAKY_SECRET]'] },
        ],
        { extraSuites: { 'leaky.sh': LEAKY, 'nosy.sh': NOSY } },
      ),
    env: { COMPAT_WEBHOOK_SECRET: WEBHOOK_SECRET, COMPAT_LOG_LEVEL: 'debug' },
  });
  await d.startServer();
  const secretsFile = path.join(d.dir, 'consumer-secrets.json');
  writeFileSync(secretsFile, JSON.stringify({ lib: { leaky: { FILE_SECRET } } }), { mode: 0o600 });
  await d.startWorker({
    concurrency: 2,
    // LEAKY_SECRET and HOST_ONLY are in the worker's environment under their bare names too: not a source.
    env: { COMPAT_SECRET_LIB__LEAKY__LEAKY_SECRET: CELL_SECRET, COMPAT_SECRETS_FILE: secretsFile, LEAKY_SECRET: CELL_SECRET, HOST_ONLY },
  });
});

afterAll(async () => {
  const leftovers = await d.cleanup();
  record({ test: 'secrets', cellsLost: lostCells(run, 2), leftovers, hostileTried: tally.tried, prefixes: [d.prefix] });
});

describe('secrets', () => {
  it('are masked in cell logs and results, and appear in no log, API answer or Redis value', async () => {
    const admin = d.adminToken();
    const created = await runCompat(['tokens', 'create', 'ci-secret-test'], d.env());
    const ciToken = created.stdout.trim();
    expect(ciToken).toMatch(/^cmx_/);

    // Use every credential the way a client would, including the wrong ones.
    expect((await d.api('POST', '/api/runs', { library: 'lib' }, WRONG_TOKEN)).status).toBe(401);
    expect((await d.api('POST', '/api/runs', { library: 'lib' }, ciToken)).status).toBe(400);
    const ping = Buffer.from(JSON.stringify({ zen: 'hi', hook_id: 1, repository: { full_name: 'fixture/lib', clone_url: path.join(d.dir, 'repos', 'lib') } }));
    expect((await d.api('POST', '/webhooks/github', ping, null, { 'X-GitHub-Event': 'ping', 'X-Hub-Signature-256': githubSignature(ping, WEBHOOK_SECRET) })).status).toBe(200);
    expect((await d.api('POST', '/webhooks/github', ping, null, { 'X-GitHub-Event': 'ping', 'X-Hub-Signature-256': githubSignature(ping, 'guess') })).status).toBe(401);
    await fetch(`${d.url}/admin/queues`, { headers: { Authorization: `Basic ${Buffer.from(`me:${WRONG_TOKEN}`).toString('base64')}` } });

    const res = await d.api('POST', '/api/runs', { library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' }, ciToken);
    expect(res.status).toBe(201);
    run = await d.waitForRun(res.body.id, 600_000);
    expect(run.cells.find((c) => c.id === 'leaky.sqlite')).toMatchObject({ verdict: 'failing', candidate: { status: 'failed' }, baseline: { status: 'failed' } });
    expect(run.cells.find((c) => c.id === 'nosy.sqlite')).toMatchObject({ verdict: 'pass' });

    // The suite's own output, masked: both secrets reached it, from the consumer's own sources.
    const answers: string[] = [];
    for (const side of ['candidate', 'baseline']) {
      const log = await d.api('GET', `/api/runs/${run.id}/cells/leaky.sqlite/logs?side=${side}`, undefined, null);
      expect(log.text).toContain('my secret is ***');
      expect(log.text).toContain('my file secret is ***');
      expect(log.text).toContain('to stderr: ***');
      expect(log.text).toContain('split: ***\n');
      answers.push(log.text);
      // Nothing of the worker's environment, nor another consumer's secret, for the consumer that asked.
      const nosy = await d.api('GET', `/api/runs/${run.id}/cells/nosy.sqlite/logs?side=${side}`, undefined, null);
      expect(nosy.text).toContain('HOST_ONLY=unset COMPAT_REDIS_URL=unset LEAKY_SECRET=unset');
      expect(nosy.text).toMatch(/^PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
      answers.push(nosy.text);
    }
    const detail = await d.api('GET', `/api/runs/${run.id}/cells/leaky.sqlite`, undefined, null);
    expect(detail.body.tests.candidate).toEqual([expect.objectContaining({ id: 'leak::prints ***', status: 'failed', message: expect.stringContaining('token=***') })]);
    answers.push(detail.text);
    for (const route of ['/api/runs', `/api/runs/${run.id}`, '/metrics', '/healthz', '/readyz', '/api/gate?library=lib&version=1.1.0']) {
      answers.push((await d.api('GET', route, undefined, null)).text);
    }
    // The queue board shows job data: with a valid token, what it shows must be clean too.
    for (const queue of ['work', 'work-sqlite', 'results']) {
      const board = await d.api('GET', `/admin/queues/api/queues?activeQueue=${queue}&status=completed&page=1`, undefined, admin);
      expect(board.status).toBe(200);
      answers.push(board.text);
    }

    const places: Record<string, string> = {
      'API answers': answers.join('\n'),
      'server log': d.server!.output(),
      'worker log': d.workers[0].output(),
      'archived logs': textOfFilesUnder(path.join(d.dataDir, 'logs')),
      Redis: await prefixedValues(d.redis(), d.prefix),
    };
    expect(places['server log']).toMatch(/Webhook refused: bad signature/); // the server did log around them
    const secrets = { 'cell secret': CELL_SECRET, 'file secret': FILE_SECRET, 'host-only variable': HOST_ONLY, 'webhook secret': WEBHOOK_SECRET, 'admin token': admin, 'API token': ciToken, 'wrong token': WRONG_TOKEN };
    for (const [where, text] of Object.entries(places)) {
      for (const [what, value] of Object.entries(secrets)) {
        expect(tally.note(!text.includes(value)), `${what} found in ${where}`).toBe(true);
      }
    }
  });
});
