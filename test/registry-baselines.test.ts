/**
 * Baselines as published. A library that names its package takes its default baseline from what the
 * registry serves (the highest version published below the candidate), installed from the registry's own
 * file, even when its tags say otherwise; the candidate is still built from its tag.
 * npm is the real registry (is-number, tiny and stable); PyPI, which this machine cannot reach, is a
 * local HTTP server serving the JSON and simple APIs with files made here, and recording what it is asked.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

let stack: Stack;
let pypi: Server;
let pypiUrl: string;
const pypiRequests: string[] = [];

/** Runs in the consumer's container: what it was given, as JUnit (the version in the test's name). */
const NPM_SUITE = `#!/bin/sh
set -eu
mkdir -p /tmp/pkg
tar -xzf "$COMPAT_ARTIFACT_DIR"/*.tgz -C /tmp/pkg
version=$(node -p "require('/tmp/pkg/package/package.json').version")
works=$(node -p "const n = require('/tmp/pkg/package'); n(5) === true && n('abc') === false")
echo "is-number $version from $(ls "$COMPAT_ARTIFACT_DIR"), works: $works"
status=passed; [ "$works" = true ] || status=failed
{
  echo '<testsuite name="pkg">'
  echo "<testcase classname=\\"pkg\\" name=\\"version_$version\\"/>"
  if [ "$status" = passed ]; then echo '<testcase classname="pkg" name="is_number_works"/>'; else echo '<testcase classname="pkg" name="is_number_works"><failure message="no"/></testcase>'; fi
  echo '</testsuite>'
} > "$COMPAT_RESULTS_DIR/junit.xml"
[ "$status" = passed ]
`;

const PYPI_SUITE = `#!/bin/sh
set -eu
file=$(cd "$COMPAT_ARTIFACT_DIR" && ls *.whl)
echo "given $file: $(cat "$COMPAT_ARTIFACT_DIR/$file")"
printf '<testsuite name="py"><testcase classname="py" name="%s"/></testsuite>\\n' "$file" > "$COMPAT_RESULTS_DIR/junit.xml"
`;

/** is-number's index.js as a library repository would have it; only the tags and versions matter here. */
const IS_NUMBER = `'use strict';
module.exports = function (num) {
  if (typeof num === 'number') return num - num === 0;
  if (typeof num === 'string' && num.trim() !== '') return Number.isFinite ? Number.isFinite(+num) : isFinite(+num);
  return false;
};
`;

const wheels: Record<string, Buffer> = {
  'tinypy-1.0.0-py3-none-any.whl': Buffer.from('published 1.0.0\n'),
  'tinypy-1.1.0-py3-none-any.whl': Buffer.from('published 1.1.0\n'),
  'tinypy-1.1.0.tar.gz': Buffer.from('sdist 1.1.0\n'),
  'tinypy-1.2.0b1-py3-none-any.whl': Buffer.from('published 1.2.0b1\n'),
};

/** A release file as PyPI's JSON API describes it, with the digest of what it serves now. */
const release = (name: string, type: string) => ({
  filename: name,
  url: `/files/${name}`,
  packagetype: type,
  yanked: false,
  digests: { sha256: createHash('sha256').update(wheels[name]).digest('hex') },
});

const project: { info: { name: string }; releases: Record<string, Array<ReturnType<typeof release>>> } = {
  info: { name: 'tinypy' },
  releases: {
    '1.0.0': [release('tinypy-1.0.0-py3-none-any.whl', 'bdist_wheel')],
    '1.1.0': [release('tinypy-1.1.0.tar.gz', 'sdist'), release('tinypy-1.1.0-py3-none-any.whl', 'bdist_wheel')],
    '1.2.0b1': [release('tinypy-1.2.0b1-py3-none-any.whl', 'bdist_wheel')],
  },
};

function startPypi(): Promise<void> {
  pypi = createServer((req, res) => {
    pypiRequests.push(req.url ?? '');
    const url = req.url ?? '';
    if (url === '/pypi/tinypy/json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(project));
    } else if (url === '/simple/tinypy/') {
      const links = Object.values(project.releases).flat().map((f) => `<a href="${f.url}#sha256=${f.digests.sha256}">${f.filename}</a>`);
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!DOCTYPE html><html><body>${links.join('\n')}</body></html>`);
    } else if (url.startsWith('/files/') && wheels[url.slice(7)]) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(wheels[url.slice(7)]);
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => pypi.listen(0, '127.0.0.1', () => resolve()));
}

function matrix(dir: string): string {
  const pkg = (version: string) => JSON.stringify({ name: 'is-number', version, main: 'index.js', files: ['index.js'] });
  // v7.0.0 was tagged on 6.0.0's commit by mistake; 7.0.0 as published came from elsewhere.
  const npmLib = makeRepo(path.join(dir, 'repos', 'is-number'), [
    { tag: 'v6.0.0', files: { 'package.json': pkg('6.0.0'), 'index.js': IS_NUMBER } },
    { tag: 'v7.1.0', files: { 'package.json': pkg('7.1.0') } },
    // A release that breaks it: a named baseline of either kind must see the same regression.
    { tag: 'v7.2.0', files: { 'package.json': pkg('7.2.0'), 'index.js': "'use strict';\nmodule.exports = () => false;\n" } },
  ]);
  makeRepoTag(npmLib, 'v7.0.0', 'v6.0.0');
  // 1.1.0 was published without a tag.
  const pyLib = makeRepo(path.join(dir, 'repos', 'tinypy'), [
    { tag: 'v1.0.0', files: { 'VERSION': '1.0.0\n' } },
    { tag: 'v1.2.0', files: { 'VERSION': '1.2.0\n' } },
  ]);
  const npmApp = makeRepo(path.join(dir, 'repos', 'npm-app'), [{ tag: 'v1', files: { 'suite.sh': NPM_SUITE } }]);
  const pyApp = makeRepo(path.join(dir, 'repos', 'py-app'), [{ tag: 'v1', files: { 'suite.sh': PYPI_SUITE } }]);
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 0 }
libraries:
  - name: is-number
    repo: ${npmLib}
    registry: { npm: is-number }
    build: { image: compat-runner:bookworm, command: 'npm pack --silent --pack-destination "$COMPAT_ARTIFACT_DIR"', timeoutSeconds: 120 }
    consumers:
      - name: npm-app
        repo: ${npmApp}
        ref: v1
        image: compat-runner:bookworm
        installCandidate: ls "$COMPAT_ARTIFACT_DIR"/*.tgz
        test: sh suite.sh
        backends: [sqlite]
        timeoutSeconds: 60
  - name: tinypy
    repo: ${pyLib}
    registry: { pypi: tinypy }
    build: { image: compat-runner:bookworm, command: 'echo "built $(cat VERSION)" > "$COMPAT_ARTIFACT_DIR/tinypy-$COMPAT_LIBRARY_VERSION-py3-none-any.whl"', timeoutSeconds: 60 }
    consumers:
      - name: py-app
        repo: ${pyApp}
        ref: v1
        image: compat-runner:bookworm
        installCandidate: ls "$COMPAT_ARTIFACT_DIR"/*.whl
        test: sh suite.sh
        backends: [sqlite]
        timeoutSeconds: 60
`,
  );
}

function makeRepoTag(repo: string, tag: string, target: string): void {
  // A lightweight tag, as a hurried release script would make it.
  execFileSync('git', ['tag', tag, `${target}^{}`], { cwd: repo });
}

async function testsOf(runId: string, cellId: string) {
  const detail = await stack.api('GET', `/api/runs/${runId}/cells/${cellId}`);
  return detail.body.tests as { candidate: Array<{ id: string; status: string }>; baseline: Array<{ id: string; status: string }> };
}

async function buildLog(runId: string, side: string): Promise<string> {
  return fetch(`${stack.server.url}/api/runs/${runId}/builds/${side}/logs`).then((r) => r.text());
}

beforeAll(async () => {
  await startPypi();
  pypiUrl = `http://127.0.0.1:${(pypi.address() as AddressInfo).port}`;
  stack = await startStack({ matrix, concurrency: 2, config: { registries: { npm: 'https://registry.npmjs.org', pypi: pypiUrl } } });
});

afterAll(async () => {
  await stack?.close();
  pypi?.close();
});

describe('baselines as published', () => {
  it('npm: the default baseline is the published 7.0.0, from the registry tarball, not the tag that says so', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'is-number', candidate: 'v7.1.0' });
    expect(created.status).toBe(201);
    expect(created.body.run).toMatchObject({ baseline: 'npm:is-number@7.0.0', baselineVersion: '7.0.0', candidateVersion: '7.1.0' });
    const run = await stack.waitForRun(created.body.id);
    expect(run.cells[0]).toMatchObject({ verdict: 'pass', candidate: { source: 'tag', status: 'passed' }, baseline: { source: 'registry', status: 'passed' } });
    const tests = await testsOf(run.id, 'npm-app.sqlite');
    expect(tests.baseline.map((t) => t.id)).toContain('pkg::version_7.0.0');
    expect(tests.candidate.map((t) => t.id)).toContain('pkg::version_7.1.0');
    expect(await buildLog(run.id, 'baseline')).toContain('https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz');
    expect(await buildLog(run.id, 'candidate')).not.toContain('registry.npmjs.org');
  });

  it('npm: --baseline still names a tag, built from the repository', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'is-number', candidate: 'v7.1.0', baseline: 'v7.0.0' });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id);
    expect(run).toMatchObject({ baseline: 'v7.0.0' });
    expect(run.cells[0].baseline.source).toBe('tag');
    // The mistaken tag builds what its commit holds: 6.0.0.
    expect((await testsOf(run.id, 'npm-app.sqlite')).baseline.map((t) => t.id)).toContain('pkg::version_6.0.0');
  });

  it('PyPI: the untagged 1.1.0 wheel is the baseline (the prerelease is not), checked against its digest', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'tinypy', candidate: 'v1.2.0' });
    expect(created.status).toBe(201);
    expect(created.body.run).toMatchObject({ baseline: 'pypi:tinypy@1.1.0', baselineVersion: '1.1.0' });
    const run = await stack.waitForRun(created.body.id);
    expect(run.cells[0]).toMatchObject({ verdict: 'pass', candidate: { source: 'tag' }, baseline: { source: 'registry' } });
    const tests = await testsOf(run.id, 'py-app.sqlite');
    expect(tests.baseline.map((t) => t.id)).toEqual(['py::tinypy-1.1.0-py3-none-any.whl']);
    expect(tests.candidate.map((t) => t.id)).toEqual(['py::tinypy-1.2.0-py3-none-any.whl']);
    expect(pypiRequests).toContain('/pypi/tinypy/json');
    expect(pypiRequests).toContain('/files/tinypy-1.1.0-py3-none-any.whl');
    expect(pypiRequests).not.toContain('/files/tinypy-1.1.0.tar.gz');
    const log = await stack.api('GET', `/api/runs/${run.id}/cells/py-app.sqlite/logs?side=baseline`);
    expect(log.body).toContain('given tinypy-1.1.0-py3-none-any.whl: published 1.1.0');
  });

  it('a file that does not match its published digest is an error, never a baseline', async () => {
    // 1.1.5 is published with the digest of one file, and another is served.
    wheels['tinypy-1.1.5-py3-none-any.whl'] = Buffer.from('published 1.1.5\n');
    project.releases['1.1.5'] = [release('tinypy-1.1.5-py3-none-any.whl', 'bdist_wheel')];
    wheels['tinypy-1.1.5-py3-none-any.whl'] = Buffer.from('tampered\n');
    const created = await stack.api('POST', '/api/runs', { library: 'tinypy', candidate: 'v1.2.0' });
    expect(created.status).toBe(201);
    expect(created.body.run.baseline).toBe('pypi:tinypy@1.1.5');
    const run = await stack.waitForRun(created.body.id);
    expect(run.verdict).toBe('incomplete');
    expect(run.cells[0]).toMatchObject({ verdict: 'error', baseline: { status: 'error', reason: expect.stringContaining('the registry publishes') } });
  });
});

/** What a cell's verdict rests on: its verdict and each side's outcome per test, the version in a test's name left out. */
async function evidenceOf(run: { id: string; verdict: string; cells: Array<{ id: string; verdict: string; newFailures: string[] }> }) {
  const cells = [];
  for (const cell of run.cells) {
    const tests = await testsOf(run.id, cell.id);
    const outcomes = (side: Array<{ id: string; status: string }>) => side.filter((t) => !t.id.includes('version_')).map((t) => `${t.id} ${t.status}`).sort();
    cells.push({ id: cell.id, verdict: cell.verdict, newFailures: cell.newFailures, candidate: outcomes(tests.candidate), baseline: outcomes(tests.baseline) });
  }
  return { verdict: run.verdict, cells };
}

describe('a published version named as the baseline (issue 23 items 1, 2)', () => {
  it('npm:NAME@VERSION gives the verdicts a tag baseline of the same code gives, as a registry side with no commit', async () => {
    // is-number 6.0.0 as npm serves it, and the tag v6.0.0 (this repository's copy of its code).
    const byName = await stack.api('POST', '/api/runs', { library: 'is-number', candidate: 'v7.2.0', baseline: 'npm:is-number@6.0.0' });
    expect(byName.status).toBe(201);
    expect(byName.body.run).toMatchObject({ baseline: 'npm:is-number@6.0.0', baselineVersion: '6.0.0', baselineSha: null, ownBaseline: false });
    const byTag = await stack.api('POST', '/api/runs', { library: 'is-number', candidate: 'v7.2.0', baseline: 'v6.0.0' });
    expect(byTag.status).toBe(201);
    const [registryRun, tagRun] = [await stack.waitForSettled(byName.body.id), await stack.waitForSettled(byTag.body.id)];
    expect(registryRun.verdict).toBe('blocked');
    // The bisect never takes the file's digest for a commit; the tag's bisect names the breaking one.
    expect(registryRun.cells[0].bisect).toMatchObject({ status: 'inconclusive', reason: expect.stringContaining("registry's published file"), steps: [] });
    const breaking = execFileSync('git', ['rev-parse', 'v7.2.0^{commit}'], { cwd: path.join(stack.dir, 'repos', 'is-number') }).toString().trim();
    expect(tagRun.cells[0].bisect).toMatchObject({ status: 'found', firstBad: { sha: breaking } });
    expect(await evidenceOf(registryRun)).toEqual(await evidenceOf(tagRun));
    expect(registryRun.cells[0].newFailures).toEqual(['pkg::is_number_works']);
    const integrity = registryRun.baselineRegistry?.integrity ?? '';
    expect(integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
    expect(registryRun).toMatchObject({ baselineSha: null, baselineRegistry: { registry: 'npm', package: 'is-number', version: '6.0.0' } });
    expect(registryRun.cells[0].baseline).toMatchObject({ source: 'registry', registry: 'npm', package: 'is-number', version: '6.0.0', integrity });
    expect(tagRun.baselineSha).toMatch(/^[0-9a-f]{40}$/);
    expect(tagRun.cells[0].baseline).toEqual(expect.not.objectContaining({ integrity: expect.anything() }));
    expect(await buildLog(registryRun.id, 'baseline')).toContain('https://registry.npmjs.org/is-number/-/is-number-6.0.0.tgz');
    // The reproduce line names the published version again, never a digest as a commit.
    const detail = await stack.api('GET', `/api/runs/${registryRun.id}/cells/npm-app.sqlite`);
    expect(detail.body.reproduce.compat).toContain('--baseline npm:is-number@6.0.0');
    const script = await fetch(`${stack.server.url}/api/runs/${registryRun.id}/cells/npm-app.sqlite/repro?side=baseline`).then((r) => r.text());
    expect(script).toContain(`integrity ${integrity}`);
    expect(script).not.toContain('git -C library checkout');
  });

  it('pypi:NAME==VERSION gives the verdicts a tag baseline of the same code gives', async () => {
    const byName = await stack.api('POST', '/api/runs', { library: 'tinypy', candidate: 'v1.2.0', baseline: 'pypi:tinypy==1.0.0' });
    expect(byName.status).toBe(201);
    expect(byName.body.run).toMatchObject({ baseline: 'pypi:tinypy@1.0.0', baselineSha: null });
    const byTag = await stack.api('POST', '/api/runs', { library: 'tinypy', candidate: 'v1.2.0', baseline: 'v1.0.0' });
    const [registryRun, tagRun] = [await stack.waitForRun(byName.body.id), await stack.waitForRun(byTag.body.id)];
    expect(registryRun.verdict).toBe('pass');
    expect(await evidenceOf(registryRun)).toEqual(await evidenceOf(tagRun));
    expect(registryRun.cells[0].baseline).toMatchObject({ source: 'registry', registry: 'pypi', package: 'tinypy', version: '1.0.0', integrity: expect.stringMatching(/^sha256-/) });
    expect((await testsOf(registryRun.id, 'py-app.sqlite')).baseline.map((t) => t.id)).toEqual(['py::tinypy-1.0.0-py3-none-any.whl']);
    expect(pypiRequests).toContain('/files/tinypy-1.0.0-py3-none-any.whl');
  });

  it('refuses a version the registry does not publish, naming the baseline, before anything runs', async () => {
    const res = await stack.api('POST', '/api/runs', { library: 'tinypy', candidate: 'v1.2.0', baseline: 'pypi:tinypy==1.0.9' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'baseline', error: expect.stringMatching(/^baseline: pypi publishes no version 1\.0\.9 of tinypy/) });
  });
});
