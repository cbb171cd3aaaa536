/**
 * Fault 4: hostile input at every edge. matrix.yaml with unknown fields, wrong types, duplicate and
 * path-like names (`compat validate`: exit 2, one FILE:LINE:COL line per problem); refs and tags with
 * shell metacharacters, `..` or no end (400 / exit 2, and /tmp/pwned never appears, even for a tag that
 * really exists in the library's repository); webhook bodies too large, malformed or unsigned; JUnit
 * entity bombs and oversized results (read without expansion, within bounds); API calls without a
 * token or with a revoked one (401).
 */
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubSignature } from '../../server/forges/signature.js';
import { JUNIT_MAX_BYTES, JUNIT_MAX_TESTS, readResultsDir } from '../../workers/results/junit.js';
import { createDeployment, runCompat, type Deployment } from '../helpers/processes.js';
import { faultMatrix } from './fixtures.js';
import { HostileTally, record } from './report.js';

const PWNED = '/tmp/pwned';
/** A tag git accepts and a shell would run: it really exists in the fixture library's repository. */
const EVIL_TAG = 'v9$(touch${IFS}/tmp/pwned)';
const WEBHOOK_SECRET = `whsec-${Math.random().toString(36).slice(2)}-fault-suite`;
const BODY_LIMIT = 64 * 1024;

let d: Deployment;
const tally = new HostileTally();

beforeAll(async () => {
  rmSync(PWNED, { force: true });
  d = await createDeployment({
    matrix: (dir) => faultMatrix(dir, [{ name: 'good', suite: 'good.sh' }], { extraTags: [EVIL_TAG] }),
    env: { COMPAT_WEBHOOK_SECRET: WEBHOOK_SECRET, COMPAT_WEBHOOK_BODY_LIMIT_BYTES: String(BODY_LIMIT) },
  });
  await d.startServer();
});

afterAll(async () => {
  const leftovers = await d.cleanup();
  record({ test: 'hostile-input', leftovers, hostileTried: tally.tried, prefixes: [d.prefix] });
});

describe('hostile matrix.yaml', () => {
  it('compat validate reports every problem at FILE:LINE:COL and exits 2', async () => {
    const file = path.join(d.dir, 'hostile-matrix.yaml');
    const consumer = (name: string, extra = '') => `      - name: ${name}
        repo: ./app
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: "true"
        test: "true"
        backends: [sqlite]${extra}
`;
    writeFileSync(
      file,
      `version: 1
libraries:
  - name: lib
    repo: ./lib
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSecs: 60 }
    consumers:
      - name: app
        repo: ./app
        ref: "v1;touch /tmp/pwned"
        image: compat-runner:bookworm
        installCandidate: "true"
        test: "true"
        backends: [sqlite, oracle]
        timeoutSeconds: "ten"
        resources: { memoryMb: -5, diskMb: many }
        runAsRoot: true
${consumer('app')}${consumer('../../etc/passwd')}${consumer('a/b')}${consumer('x'.repeat(300))}${consumer('envy', `
        env: { "lower-case": "\${HOME}" }`)}`,
    );
    const res = await runCompat(['validate', '--matrix', file], d.env());
    expect(res.code).toBe(2);
    const lines = res.stdout.trim().split('\n');
    for (const line of lines) expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: \\S+: .+$`));
    const expected: Array<[number, RegExp]> = [
      [5, /libraries\.0\.build\.timeoutSecs: unknown field "timeoutSecs"/],
      [9, /libraries\.0\.consumers\.0\.ref: not a valid git ref/],
      [13, /libraries\.0\.consumers\.0\.backends\.1: /],
      [14, /libraries\.0\.consumers\.0\.timeoutSeconds: .*number/i],
      [15, /libraries\.0\.consumers\.0\.resources\.memoryMb: /],
      [15, /libraries\.0\.consumers\.0\.resources\.diskMb: /],
      [16, /libraries\.0\.consumers\.0\.runAsRoot: unknown field "runAsRoot"/],
      [17, /libraries\.0\.consumers\.1\.name: duplicate consumer name "app"/],
      [24, /libraries\.0\.consumers\.2\.name: must be 1-63 letters.*no path separators/],
      [31, /libraries\.0\.consumers\.3\.name: must be 1-63 letters/],
      [38, /libraries\.0\.consumers\.4\.name: must be 1-63 letters/],
      [52, /libraries\.0\.consumers\.5\.env\.lower-case: /],
    ];
    for (const [line, pattern] of expected) {
      const hit = lines.some((l) => l.startsWith(`${file}:${line}:`) && pattern.test(l));
      expect(tally.note(hit), `line ${line} ${pattern}\n${res.stdout}`).toBe(true);
    }
  });

  it('a YAML file with a duplicate key or broken syntax is refused the same way', async () => {
    const file = path.join(d.dir, 'dup-keys.yaml');
    writeFileSync(file, 'version: 1\nversion: 1\nlibraries: [\n');
    const res = await runCompat(['validate', '--matrix', file], d.env());
    expect(res.code).toBe(2);
    expect(tally.note(/^.+dup-keys\.yaml:2:1: \(document\): Map keys must be unique/m.test(res.stdout))).toBe(true);
  });
});

describe('hostile refs and tags', () => {
  const refs = ['v1;touch /tmp/pwned', '$(id)', '`touch /tmp/pwned`', '../../etc/passwd', 'v1.0.0..v1.1.0', `v${'1'.repeat(300)}`, '-v1', 'v1\ntouch /tmp/pwned', EVIL_TAG];

  it('POST /api/runs refuses each with 400 before anything is planned', async () => {
    for (const ref of refs) {
      for (const field of ['candidate', 'baseline']) {
        const body = field === 'candidate' ? { library: 'lib', candidate: ref } : { library: 'lib', candidate: 'v1.1.0', baseline: ref };
        const res = await d.api('POST', '/api/runs', body);
        expect(tally.note(res.status === 400 && /not a valid git ref/.test(res.body.error)), `${field}=${JSON.stringify(ref)}: ${res.status} ${res.text}`).toBe(true);
      }
    }
    const odd = [
      { library: '../lib', candidate: 'v1.1.0' },
      { library: 'lib', candidate: 'v1.1.0', consumers: ['../../etc'] },
      { library: 'lib', candidate: 'v1.1.0', backends: ['oracle'] },
      { library: 'lib', candidate: 'v1.1.0', shell: 'sh' },
      { library: 'lib', candidate: ['v1.1.0'] },
    ];
    for (const body of odd) {
      const res = await d.api('POST', '/api/runs', body);
      expect(tally.note(res.status === 400), `${JSON.stringify(body)}: ${res.status} ${res.text}`).toBe(true);
    }
    const notJson = await d.api('POST', '/api/runs', '{"library": "lib", "candidate": ');
    expect(tally.note(notJson.status === 400)).toBe(true);
    const huge = await d.api('POST', '/api/runs', JSON.stringify({ library: 'lib', candidate: 'v1.1.0', pad: 'x'.repeat(300 * 1024) }));
    expect(tally.note(huge.status === 413)).toBe(true);
    expect((await d.api('GET', '/api/runs', undefined, null)).body).toEqual([]);
  });

  it('compat run refuses them with exit 2 before reaching a server', async () => {
    for (const ref of ['v1;touch /tmp/pwned', '$(id)', '../../etc/passwd']) {
      const res = await runCompat(['run', '--library', 'lib', '--candidate', ref], d.env());
      expect(tally.note(res.code === 2 && /--candidate: not a valid git ref/.test(res.output)), `${ref}: exit ${res.code}\n${res.output}`).toBe(true);
    }
  });

  it('a webhook for the hostile tag starts nothing', async () => {
    const repo = path.join(d.dir, 'repos', 'lib');
    for (const tag of [EVIL_TAG, 'v1;touch /tmp/pwned']) {
      const body = Buffer.from(JSON.stringify({ ref: tag, ref_type: 'tag', repository: { full_name: 'fixture/lib', clone_url: repo, html_url: 'https://example.invalid/fixture/lib' } }));
      const res = await d.api('POST', '/webhooks/github', body, null, {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'create',
        'X-GitHub-Delivery': `evil-${tag.length}`,
        'X-Hub-Signature-256': githubSignature(body, WEBHOOK_SECRET),
      });
      expect(tally.note(res.status === 200 && typeof res.body.ignored === 'string'), `${res.status} ${res.text}`).toBe(true);
    }
    expect((await d.api('GET', '/api/runs', undefined, null)).body).toEqual([]);
    expect(existsSync(PWNED)).toBe(false);
  });
});

describe('hostile webhook bodies', () => {
  const post = (body: Buffer | string, headers: Record<string, string>) =>
    d.api('POST', '/webhooks/github', typeof body === 'string' ? body : body, null, { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', ...headers });

  it('over the limit: 413; malformed: 400; unsigned or wrongly signed: 401; none starts a run', async () => {
    const big = Buffer.from(JSON.stringify({ ref: 'refs/tags/v1.1.0', pad: 'x'.repeat(BODY_LIMIT) }));
    const tooBig = await post(big, { 'X-Hub-Signature-256': githubSignature(big, WEBHOOK_SECRET) });
    expect(tally.note(tooBig.status === 413), tooBig.text).toBe(true);
    const broken = Buffer.from('{"ref": "refs/tags/v1.1.0", ');
    const malformed = await post(broken, { 'X-Hub-Signature-256': githubSignature(broken, WEBHOOK_SECRET) });
    expect(tally.note(malformed.status === 400), malformed.text).toBe(true);
    const notObject = Buffer.from('[1, 2, 3]');
    const array = await post(notObject, { 'X-Hub-Signature-256': githubSignature(notObject, WEBHOOK_SECRET) });
    expect(tally.note(array.status === 400), array.text).toBe(true);
    const repo = path.join(d.dir, 'repos', 'lib');
    const push = Buffer.from(JSON.stringify({ ref: 'refs/tags/v1.1.0', after: 'a'.repeat(40), repository: { full_name: 'fixture/lib', clone_url: repo } }));
    const unsigned = await post(push, {});
    expect(tally.note(unsigned.status === 401), unsigned.text).toBe(true);
    const forged = await post(push, { 'X-Hub-Signature-256': githubSignature(push, 'not-the-secret') });
    expect(tally.note(forged.status === 401), forged.text).toBe(true);
    const garbage = await post(push, { 'X-Hub-Signature-256': 'sha256=zz' });
    expect(tally.note(garbage.status === 401), garbage.text).toBe(true);
    expect((await d.api('GET', '/api/runs', undefined, null)).body).toEqual([]);
  });
});

describe('hostile JUnit', () => {
  it('entity bombs are not expanded, oversized files and results are bounded', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-fault-junit-'));
    try {
      const lol = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`)].join('\n');
      writeFileSync(path.join(dir, 'laughs.xml'), `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n${lol}\n]>\n<testsuite name="s"><testcase classname="bomb" name="x&lol9;"><failure message="&lol9;">&lol9;</failure></testcase></testsuite>`);
      // External entities: never fetched, never read.
      writeFileSync(path.join(dir, 'xxe.xml'), `<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<testsuite name="s"><testcase classname="xxe" name="t"><failure message="&xxe;"/></testcase></testsuite>`);
      // Over the per-file cap (sparse: costs no disk).
      writeFileSync(path.join(dir, 'huge.xml'), '');
      truncateSync(path.join(dir, 'huge.xml'), JUNIT_MAX_BYTES + 1);
      // More tests than are kept.
      const many = (prefix: string, n: number) => `<testsuite name="${prefix}">${Array.from({ length: n }, (_, i) => `<testcase classname="${prefix}" name="t${i}"/>`).join('')}</testsuite>`;
      writeFileSync(path.join(dir, 'many-a.xml'), many('a', 60_000));
      writeFileSync(path.join(dir, 'many-b.xml'), many('b', 60_000));
      // A test name of a megabyte.
      writeFileSync(path.join(dir, 'longname.xml'), `<testsuite name="s"><testcase classname="long" name="${'n'.repeat(1_000_000)}"/></testsuite>`);

      const started = Date.now();
      const { tests, problems } = readResultsDir(dir);
      expect(Date.now() - started).toBeLessThan(30_000);
      const bomb = tests.find((t) => t.id.startsWith('bomb::'));
      expect(tally.note(bomb?.id === 'bomb::x&lol9;' && (bomb.message ?? '').length < 100)).toBe(true);
      // The parser refuses external entities outright: the file is reported, nothing is read from disk.
      expect(tally.note(problems.some((p) => p.startsWith('xxe.xml:')) && !JSON.stringify(tests).includes('root:'))).toBe(true);
      expect(tally.note(problems.some((p) => p.startsWith('huge.xml:') && p.includes('limit')))).toBe(true);
      expect(tally.note(tests.length === JUNIT_MAX_TESTS && problems.some((p) => p.includes(`past the first ${JUNIT_MAX_TESTS}`)))).toBe(true);
      const long = tests.find((t) => t.id.startsWith('long::'));
      expect(tally.note(long !== undefined && long.id.length <= 1000)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('API tokens', () => {
  it('no token, a wrong one, a revoked one: 401; compat tokens create/revoke take effect at once', async () => {
    const body = { library: 'lib' }; // invalid: reaching 400 proves the token was accepted
    expect(tally.note((await d.api('POST', '/api/runs', body, null)).status === 401)).toBe(true);
    expect(tally.note((await d.api('POST', '/api/runs', body, 'cmx_not-a-real-token')).status === 401)).toBe(true);
    expect(tally.note((await d.api('POST', '/api/runs', body, 'x'.repeat(5000))).status === 401)).toBe(true);
    expect(tally.note((await fetch(`${d.url}/admin/queues`)).status === 401)).toBe(true);

    const created = await runCompat(['tokens', 'create', 'ci-bot'], d.env());
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^cmx_/);
    expect((await d.api('POST', '/api/runs', body, token)).status).toBe(400);
    const revoked = await runCompat(['tokens', 'revoke', 'ci-bot'], d.env());
    expect(revoked.code).toBe(0);
    const after = await d.api('POST', '/api/runs', body, token);
    expect(tally.note(after.status === 401), after.text).toBe(true);
    // The queue board takes the token as a Basic password: refused as well once revoked.
    const basic = await fetch(`${d.url}/admin/queues`, { headers: { Authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } });
    expect(tally.note(basic.status === 401)).toBe(true);
  });

  it('left no /tmp/pwned behind, whatever was tried', () => {
    expect(existsSync(PWNED)).toBe(false);
  });
});
