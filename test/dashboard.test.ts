/**
 * The dashboard in a real Chromium against a real stack: runs made by the pipeline (git fixtures,
 * Redis, Docker containers, the store), pages served by `compat server` from a fresh build of
 * dashboards/dist. One fixture release regresses one consumer on one backend; another is slow, to
 * watch a run and a log change live. Screenshots land in docs/screenshots/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../common/config.js';
import { createDocker } from '../common/docker/engine.js';
import { containersWith, LABEL_KIND, LABEL_RUN } from '../workers/container/docker.js';
import type { RunJson } from '../common/types.js';
import { buildDashboard, launchBrowser, type Browser } from './helpers/browser.js';
import { fixtureLibrary, makeRepo } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');

/**
 * A consumer suite with three tests. The library artifact's behaviour file decides: `break C B` fails
 * test_b of consumer C on backend B; `slow N` works until the test releases it (a file it puts in the
 * container) or for N seconds at most (printing as it goes), and passes.
 */
const SUITE = `#!/bin/sh
set -u
behaviour=$(cat "$COMPAT_ARTIFACT_DIR/behaviour.txt")
echo "dashboard fixture: consumer=$FIXTURE_CONSUMER backend=$COMPAT_BACKEND side=$COMPAT_SIDE version=$COMPAT_LIBRARY_VERSION attempt=$COMPAT_ATTEMPT"
echo "collecting tests... 3 items"
b=pass
case "$behaviour" in
  "break $FIXTURE_CONSUMER $COMPAT_BACKEND") b=fail ;;
  slow*)
    n=\${behaviour#slow }
    echo "slow release: sleeping $n s"
    i=0
    while [ "$i" -lt "$n" ] && [ ! -e /tmp/compat-release ]; do i=$((i + 1)); echo "still working ($i/$n)"; sleep 1; done
    ;;
esac
echo "tests/test_orders.py::test_a PASSED"
if [ "$b" = fail ]; then
  echo "tests/test_orders.py::test_b FAILED"
  echo "E   AssertionError: orders.count() returned 2, expected 3 ($COMPAT_BACKEND)"
else
  echo "tests/test_orders.py::test_b PASSED"
fi
echo "tests/test_orders.py::test_c PASSED"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<testsuites><testsuite name="orders">'
  echo '<testcase classname="orders" name="test_a" time="0.01"/>'
  if [ "$b" = fail ]; then
    echo "<testcase classname=\\"orders\\" name=\\"test_b\\" time=\\"0.02\\"><failure message=\\"AssertionError: orders.count() returned 2, expected 3 ($COMPAT_BACKEND)\\">assert 2 == 3</failure></testcase>"
  else
    echo '<testcase classname="orders" name="test_b" time="0.02"/>'
  fi
  echo '<testcase classname="orders" name="test_c" time="0.01"/>'
  echo '</testsuite></testsuites>'
} > "$COMPAT_RESULTS_DIR/junit.xml"
echo "suite finished"
[ "$b" = pass ]
`;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'dashlib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'break beta mysql'],
    ['v1.2.0', 'slow 50'],
  ]);
  const consumer = makeRepo(path.join(dir, 'repos', 'shop'), [{ tag: 'v1.0.0', files: { 'run-tests.sh': SUITE } }]);
  const entry = (name: string, backends: string) => `      - name: ${name}
        repo: ${consumer}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [${backends}]
        env: { FIXTURE_CONSUMER: ${name} }
        timeoutSeconds: 60
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`;
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 1 }
libraries:
  - name: dashlib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
${entry('alpha', 'sqlite, mysql')}${entry('beta', 'sqlite, mysql')}${entry('gamma', 'sqlite')}`,
  );
}

let stack: Stack;
let browser: Browser;
let page: Page;
let regression: RunJson;

async function createRun(body: Record<string, unknown>): Promise<string> {
  const created = await stack.api('POST', '/api/runs', { library: 'dashlib', ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

/** Marks the document; the mark is gone if anything reloads the page. */
async function markDocument(p: Page): Promise<void> {
  await p.evaluate(() => ((window as unknown as { __compatMark: number }).__compatMark = 42));
}

/** Screenshots without a focus ring left over from typing into a field. */
async function screenshot(p: Page, name: string): Promise<void> {
  await p.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await p.mouse.move(0, 0);
  // The whole page, but no taller than its content (a short list needs no screen of white below it).
  const height = await p.evaluate(() => Math.ceil(document.querySelector('main')!.getBoundingClientRect().bottom + window.scrollY));
  const width = p.viewportSize()!.width;
  await p.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true, clip: { x: 0, y: 0, width, height: Math.max(height, 320) } });
}

async function documentMarked(p: Page): Promise<boolean> {
  return p.evaluate(() => (window as unknown as { __compatMark?: number }).__compatMark === 42);
}

beforeAll(async () => {
  // On a clean checkout dist does not exist yet: the server must find it built before it starts.
  await buildDashboard();
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startStack({ matrix, concurrency: 4 });
  browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  page = await browser.context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  regression = await stack.waitForRun(await createRun({ candidate: 'v1.1.0', baseline: 'v1.0.0' }), 300_000);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('run page', () => {
  it('flags the one regression, shows everything else passing, and pulls the regressed row to the top', async () => {
    const why = regression.cells
      .map((c) => `${c.id}: ${c.verdict} (candidate ${c.candidate.status} ${c.candidate.reason ?? ''}, baseline ${c.baseline.status} ${c.baseline.reason ?? ''})`)
      .join('; ');
    expect(regression.verdict, why).toBe('blocked');
    expect(regression.cells.filter((c) => c.verdict !== 'pass').map((c) => c.id), why).toEqual(['beta.mysql']);
    await page.goto(`${stack.server.url}/runs/${regression.id}`);
    await page.waitForSelector('.matrix[data-ready="true"]');

    const cells = await page.$$eval('[data-cell]', (tds) => tds.map((td) => [td.getAttribute('data-cell'), td.getAttribute('data-verdict'), td.textContent ?? '']));
    expect(cells.map(([id]) => id).sort()).toEqual(['alpha.mysql', 'alpha.sqlite', 'beta.mysql', 'beta.sqlite', 'gamma.sqlite']);
    for (const [id, verdict, text] of cells) {
      const expected = id === 'beta.mysql' ? 'regression' : 'pass';
      expect(verdict, id!).toBe(expected);
      // A word, not only a colour; and both durations.
      expect(text).toContain(expected);
      expect(text).toMatch(/cand [\dmh.]+s · base [\dmh.]+s/);
    }
    const rows = await page.$$eval('.matrix-body [role="rowheader"]', (ths) => ths.map((th) => th.textContent));
    expect(rows).toEqual(['beta', 'alpha', 'gamma']);
    const headers = await page.$$eval('.matrix-head [role="columnheader"]', (ths) => ths.map((th) => th.textContent));
    expect(headers).toEqual(['Consumer', 'sqlite', 'mysql']);
    expect(await page.locator('[data-cell="alpha.sqlite"]').textContent()).toContain('pass');
    // gamma declares no mysql: said in words, not left blank.
    expect(await page.locator('.matrix-body [role="row"]:nth-child(3) [role="cell"]').nth(1).textContent()).toBe('not declared');

    await expect(page.locator('.page-head .verdict').textContent()).resolves.toBe('blocked');
    expect(await page.locator('.counts').textContent()).toMatch(/pass\s*4.*regression\s*1/);
    const label = await page.locator('[data-cell="beta.mysql"] a').getAttribute('aria-label');
    expect(label).toMatch(/^beta on mysql: regression; candidate .+, baseline .+$/);

    // The "problems only" filter leaves just the regressed row.
    await page.selectOption('#show-filter', 'attention');
    expect(await page.$$eval('.matrix-body [role="row"]', (trs) => trs.length)).toBe(1);
    await page.selectOption('#show-filter', 'all');
    await page.fill('#consumer-filter', 'gam');
    expect(await page.$$eval('.matrix-body [role="rowheader"]', (ths) => ths.map((th) => th.textContent))).toEqual(['gamma']);
    await page.fill('#consumer-filter', '');
    await page.waitForSelector('[data-cell="alpha.sqlite"]');

    await screenshot(page, 'run.png');
  });
});

describe('cell page', () => {
  it('opens from the grid and shows the newly failing test, its message, and both logs', async () => {
    await page.goto(`${stack.server.url}/runs/${regression.id}`);
    await page.waitForSelector('.matrix[data-ready="true"]');
    await markDocument(page);
    await page.click('[data-cell="beta.mysql"] a');
    await page.waitForURL(`**/runs/${regression.id}/cells/beta.mysql`);
    await page.waitForSelector('h1:has-text("beta")');
    // A client-side navigation: the same document.
    expect(await documentMarked(page)).toBe(true);
    expect(await page.locator('h1').textContent()).toBe('beta on mysql');
    expect(await page.locator('.page-head .verdict').textContent()).toBe('regression');

    const failure = page.locator('.test-new-failure[data-test="orders::test_b"]');
    await expect(failure.locator('.test-id').textContent()).resolves.toBe('orders::test_b');
    expect(await failure.locator('.failure').textContent()).toContain('AssertionError: orders.count() returned 2, expected 3 (mysql)');
    expect(await failure.textContent()).toContain('baseline: passed');
    expect(await page.locator('[data-side="candidate"]').textContent()).toMatch(/failed.*2 passed, 1 failed, 0 skipped/);
    expect(await page.locator('[data-side="baseline"]').textContent()).toMatch(/passed.*3 passed, 0 failed, 0 skipped/);
    expect(await page.locator('#fixed-tests').textContent()).toContain('0');
    // v1.1.0 is the one commit after v1.0.0: its bisect names it without a step.
    expect(await page.locator('.bisect-answer').getAttribute('data-first-bad')).toBe(regression.candidateSha);
    expect(await page.locator('.bisect-answer').textContent()).toContain(`First bad commit: ${regression.candidateSha.slice(0, 7)} release v1.1.0`);

    await page.waitForSelector('#log-candidate[data-state="done"]');
    await page.waitForSelector('#log-baseline[data-state="done"]');
    const candidateLog = (await page.locator('#log-candidate').textContent()) ?? '';
    const baselineLog = (await page.locator('#log-baseline').textContent()) ?? '';
    expect(candidateLog).toContain('consumer=beta backend=mysql side=candidate version=1.1.0');
    expect(candidateLog).toContain('tests/test_orders.py::test_b FAILED');
    expect(baselineLog).toContain('consumer=beta backend=mysql side=baseline version=1.0.0');
    expect(baselineLog).toContain('tests/test_orders.py::test_b PASSED');

    // Search: matches highlighted in both logs; "only matching lines" keeps just those.
    await page.fill('#log-search', 'test_b');
    await page.waitForSelector('#log-candidate mark');
    expect(await page.locator('#log-candidate mark').first().textContent()).toBe('test_b');
    await page.check('text=only matching lines');
    expect(await page.locator('#log-candidate .log-line').count()).toBe(1);
    expect(await page.locator('#log-baseline .log-line').count()).toBe(1);
    await page.uncheck('text=only matching lines');
    await page.fill('#log-search', '');

    // The re-run that confirmed it has its own logs.
    expect(await page.locator('#log-attempt option').allTextContents()).toEqual(['first run', 're-run 1']);

    const compat = await page.locator('#repro-compat').textContent();
    expect(compat).toBe(`compat run --library dashlib --candidate v1.1.0 --baseline v1.0.0 --consumer beta --backend mysql --wait`);
    const docker = (await page.locator('#repro-docker').textContent()) ?? '';
    expect(docker).toContain(`git -C library checkout --quiet ${regression.candidateSha}`);
    expect(docker).toContain('git -C consumer checkout --quiet v1.0.0');
    expect(docker).toContain('docker run -d --name compat-repro-db');
    expect(docker).toContain('-e COMPAT_BACKEND=mysql');
    expect(docker).toContain('-e FIXTURE_CONSUMER=beta');
    expect(docker).toContain("-e COMPAT_CMD_TEST='sh run-tests.sh'");

    await screenshot(page, 'cell.png');
  });

  it('gives commands that really reproduce the cell by hand: the candidate fails test_b, the baseline passes', async () => {
    await page.goto(`${stack.server.url}/runs/${regression.id}/cells/beta.mysql`);
    // The script arrives from the server after the page: wait for it, not just for its frame.
    await page.waitForSelector('#repro-docker:has-text("COMPAT_SIDE=candidate")');
    const candidate = (await page.locator('#repro-docker').textContent())!;
    await page.click('.segmented button:has-text("baseline")');
    await page.waitForSelector('#repro-docker:has-text("COMPAT_SIDE=baseline")');
    const baseline = (await page.locator('#repro-docker').textContent())!;
    const run = (script: string) => {
      const dir = mkdtempSync(path.join(stack.dir, 'repro-'));
      const result = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
      const junit = path.join(dir, 'compat-repro', 'results', 'junit.xml');
      return { status: result.status, output: result.stdout + result.stderr, junit: existsSync(junit) ? readFileSync(junit, 'utf8') : '' };
    };
    try {
      const failed = run(candidate);
      expect(failed.status, failed.output).toBe(1);
      expect(failed.output).toContain('tests/test_orders.py::test_b FAILED');
      expect(failed.junit).toContain('AssertionError: orders.count() returned 2, expected 3 (mysql)');
      const passed = run(baseline);
      expect(passed.status, passed.output).toBe(0);
      expect(passed.output).toContain('side=baseline version=1.0.0');
    } finally {
      spawnSync('docker', ['rm', '-f', 'compat-repro-db']);
    }
  });

  it('answers an unknown cell with a message, not a blank page', async () => {
    await page.goto(`${stack.server.url}/runs/${regression.id}/cells/nobody.sqlite`);
    await expect(page.locator('[role="alert"]').textContent()).resolves.toContain('no cell "nobody.sqlite"');
  });
});

/** Lets a held `slow` suite of the run finish: its container gets the file the suite waits for. */
async function releaseSuites(runId: string): Promise<void> {
  const docker = createDocker();
  for (const info of await containersWith(docker, { [LABEL_RUN]: runId, [LABEL_KIND]: 'cell' })) {
    if (info.State !== 'running') continue;
    const exec = await docker.getContainer(info.Id).exec({ Cmd: ['touch', '/tmp/compat-release'], AttachStdout: false, AttachStderr: false });
    await exec.start({ Detach: true });
  }
}

describe('live updates', () => {
  it('a running run changes its grid, and a running cell its log, without a reload', async () => {
    const id = await createRun({ candidate: 'v1.2.0', baseline: 'v1.0.0', consumers: ['gamma'] });
    await page.goto(`${stack.server.url}/runs/${id}`);
    await page.waitForSelector('.matrix[data-ready="true"]');
    await markDocument(page);
    const cell = page.locator('[data-cell="gamma.sqlite"]');
    const before = await cell.getAttribute('data-verdict');
    expect(['pending', 'running']).toContain(before);
    expect(await cell.textContent()).toContain(before!);

    // Meanwhile, in a second tab, the cell page follows the candidate's log as it is written.
    const cellPage = await browser.context.newPage();
    await cellPage.goto(`${stack.server.url}/runs/${id}/cells/gamma.sqlite`);
    await cellPage.waitForSelector('#log-candidate:has-text("still working")', { timeout: 120_000 });
    // The suite is held until released, so the cell cannot have finished yet, at any speed.
    expect(stack.server.store.getRun(id)!.cells[0].verdict).not.toBe('pass');
    await markDocument(cellPage);
    await releaseSuites(id);
    await cellPage.waitForSelector('#log-candidate:has-text("suite finished")', { timeout: 120_000 });
    await cellPage.waitForSelector('.page-head .verdict:has-text("pass")', { timeout: 60_000 });
    expect(await documentMarked(cellPage)).toBe(true);
    await cellPage.close();

    await page.waitForSelector('[data-cell="gamma.sqlite"][data-verdict="pass"]', { timeout: 120_000 });
    expect(await cell.textContent()).toContain('pass');
    await page.waitForSelector('.page-head .verdict:has-text("pass")', { timeout: 30_000 });
    expect(await documentMarked(page)).toBe(true);
  });
});

describe('runs list and history', () => {
  it('lists runs newest first with verdicts, counts and trigger, and filters by library', async () => {
    await page.goto(`${stack.server.url}/`);
    await page.waitForSelector('table.runs-table tbody tr');
    const rows = await page.$$eval('table.runs-table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-run')));
    expect(rows[rows.length - 1]).toBe(regression.id);
    const row = page.locator(`tr[data-run="${regression.id}"]`);
    expect(await row.locator('[data-label="Verdict"]').textContent()).toContain('blocked');
    expect(await row.locator('[data-label="Regressions"]').textContent()).toBe('1');
    expect(await row.locator('[data-label="Errors"]').textContent()).toBe('0');
    expect(await row.locator('[data-label="Trigger"]').textContent()).toBe('api');
    expect(await row.locator('[data-label="Candidate"]').textContent()).toBe('v1.1.0');
    expect(await page.locator('nav[aria-label="Main"] a', { hasText: 'Queue board' }).getAttribute('href')).toBe('/admin/queues');
    await screenshot(page, 'runs.png');

    await page.selectOption('#library-filter', 'dashlib');
    await page.waitForURL('**/?library=dashlib');
    await page.waitForSelector('table.runs-table tbody tr');
    expect(await page.locator('h1').textContent()).toBe('Runs of dashlib');

    await page.click(`tr[data-run="${regression.id}"] th a`);
    await page.waitForURL(`**/runs/${regression.id}`);
    await page.waitForSelector('.matrix[data-ready="true"]');
  });

  it('shows one consumer across versions, per backend', async () => {
    await page.goto(`${stack.server.url}/consumers/dashlib/beta`);
    await page.waitForSelector('table.history tbody tr');
    const row = page.locator('table.history tbody tr', { hasText: '1.1.0' }).first();
    expect(await row.locator('td[data-verdict]').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-verdict')))).toEqual(['pass', 'regression']);
    expect(await row.locator('a[aria-label="1.1.0 on mysql: regression"]').getAttribute('href')).toBe(`/runs/${regression.id}/cells/beta.mysql`);
  });
});

describe('keyboard and small screens', () => {
  it('starts with a skip link, and reaches a cell by keyboard alone', async () => {
    await page.goto(`${stack.server.url}/runs/${regression.id}`);
    await page.waitForSelector('.matrix[data-ready="true"]');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    // Tab from the top of main until the regressed cell's link has focus, then follow it.
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.closest('[data-cell]')?.getAttribute('data-cell') === 'beta.mysql');
    }
    expect(found).toBe(true);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/cells/beta.mysql`);
    // Focus moves to the new page's content, as after a full load.
    await page.waitForFunction(() => document.activeElement?.id === 'main');
  });

  it('fits a phone: the page never scrolls sideways, only the matrix inside its frame', async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const route of ['/', `/runs/${regression.id}`, `/runs/${regression.id}/cells/beta.mysql`]) {
      await phone.goto(`${stack.server.url}${route}`);
      await phone.waitForSelector('h1');
      await phone.waitForLoadState('networkidle').catch(() => undefined);
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      expect(width, route).toBeLessThanOrEqual(390);
    }
    await phone.close();
  });
});

const exampleRepos = existsSync(path.join(REPO_ROOT, 'examples', '.repos', 'quarry')) && existsSync(path.join(REPO_ROOT, 'matrix.yaml'));

describe.skipIf(!exampleRepos)('the example matrix (optional: needs examples/.repos)', () => {
  let example: Stack;
  beforeAll(async () => {
    example = await startStack({ matrix: () => path.join(REPO_ROOT, 'matrix.yaml'), concurrency: 2 });
  });
  afterAll(async () => {
    await example?.close();
  });

  it('shows quarry 1.1.0 regressing py-inventory on mysql, with its five upserting tests and MariaDB\'s syntax error', async () => {
    const created = await example.api('POST', '/api/runs', { library: 'quarry', candidate: 'v1.1.0', consumers: ['py-inventory'], backends: ['mysql', 'sqlite'] });
    expect(created.status).toBe(201);
    // A real install per side on a shared machine: the wait is generous, not a measure of speed.
    const run = await example.waitForRun(created.body.id, 1_500_000);
    const why = run.cells.map((c) => `${c.id}: ${c.verdict} ${c.candidate.reason ?? ''} ${c.baseline.reason ?? ''}`).join('; ');
    expect(run.cells.find((c) => c.id === 'py-inventory.mysql')?.verdict, why).toBe('regression');
    await page.goto(`${example.server.url}/runs/${run.id}`);
    await page.waitForSelector('.matrix[data-ready="true"]');
    expect(await page.locator('[data-cell="py-inventory.mysql"]').getAttribute('data-verdict')).toBe('regression');
    expect(await page.locator('[data-cell="py-inventory.sqlite"]').getAttribute('data-verdict')).toBe('pass');
    await page.click('[data-cell="py-inventory.mysql"] a');
    await page.waitForSelector('.test-new-failure');
    // examples/README.md: 5 of its 10 tests (the ones that upsert) fail on mysql.
    expect(await page.locator('.test-new-failure').count()).toBe(5);
    expect(await page.locator('.test-new-failure .test-id').allTextContents()).toContain('tests.test_stock::test_a_new_count_replaces_the_previous_one');
    expect(await page.locator('.test-new-failure .failure').first().textContent()).toMatch(/1064|syntax/i);

    // The bisect goes on after the run is done: the open page shows its end without a reload.
    await page.waitForSelector('.bisect[data-bisect-status="found"]', { timeout: 1_500_000 });
    expect(await page.locator('.bisect-answer').textContent()).toMatch(/First bad commit: [0-9a-f]{7} Use INSERT \.\.\. ON DUPLICATE KEY for upsert by Quarry Maintainers/);
    expect(await page.locator('.bisect-steps li[data-outcome="skip"]').textContent()).toContain('build: ship the LICENSE in both packages');
    await screenshot(page, 'bisect.png');
    await page.goto(`${example.server.url}/runs/${run.id}`);
    await page.waitForSelector('.matrix[data-ready="true"]');
    expect(await page.locator('.bisect-list li[data-consumer="py-inventory"]').textContent()).toContain('first bad commit');
    expect(await page.locator('[data-cell="py-inventory.mysql"]').textContent()).toMatch(/first bad [0-9a-f]{7}/);
  }, 3_600_000);
});
