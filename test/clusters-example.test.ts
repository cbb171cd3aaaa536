/**
 * Issue 21 on the real example: quarry v1.1.0's new failures on MySQL, across js-ledger (mysql2, mocha)
 * and py-inventory (PyMySQL, pytest), are one cause on the run's JSON, `compat report`'s data and the
 * run page; the consumer page shows the strip of its cells' verdicts. Real Redis, Docker, MariaDB,
 * git and Chromium; screenshots land in docs/screenshots/ (clusters.png, history-strip.png).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../common/config.js';
import { buildDashboard, launchBrowser, type Browser } from './helpers/browser.js';
import { startStack, type Stack } from './helpers/stack.js';

const SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');
const exampleRepos = existsSync(path.join(REPO_ROOT, 'examples', '.repos', 'quarry'));

describe.skipIf(!exampleRepos)('the example run, its failures grouped by cause (needs examples/.repos)', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    await buildDashboard();
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({ matrix: () => path.join(REPO_ROOT, 'matrix.yaml'), concurrency: 2 });
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    page = await browser.context.newPage();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('makes the 9 MySQL upsert failures one cause, leads the run page with it, and strips the consumer page', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'quarry', candidate: 'v1.1.0', consumers: ['js-ledger', 'py-inventory'], backends: ['mysql'] });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id, 1_500_000);
    expect(run.cells.map((c) => [c.id, c.verdict])).toEqual([
      ['js-ledger.mysql', 'regression'],
      ['py-inventory.mysql', 'regression'],
    ]);
    const clusters = (await stack.api('GET', `/api/runs/${run.id}`)).body.clusters;
    expect(clusters).toHaveLength(1);
    expect(clusters[0]).toMatchObject({ count: 9, cells: ['js-ledger.mysql', 'py-inventory.mysql'] });
    expect(clusters[0].pattern).toMatch(/^You have an error in your SQL syntax.* near '…' at line N$/);

    await page.goto(`${stack.server.url}/runs/${run.id}`);
    await page.waitForSelector('.clusters .cluster');
    expect(await page.locator('#clusters-title').textContent()).toBe('9 new failures, 1 cause');
    expect(await page.locator('.cluster .cluster-message').textContent()).toMatch(/You have an error in your SQL syntax/);
    expect(await page.locator('.cluster > .cluster-tests a').count()).toBe(8);
    expect(await page.locator('.cluster details .cluster-tests a').count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'clusters.png'), fullPage: false });

    // A second version for the strip: v1.1.1 fixes it (its baseline, v1.1.0, is the broken one).
    const fixed = await stack.api('POST', '/api/runs', { library: 'quarry', candidate: 'v1.1.1', consumers: ['js-ledger'], backends: ['mysql'] });
    expect((await stack.waitForRun(fixed.body.id, 1_500_000)).cells[0].verdict).toBe('fixed');
    await page.goto(`${stack.server.url}/consumers/quarry/js-ledger`);
    await page.waitForSelector('.strip .strip-mark');
    expect(await page.locator('.strip[data-cell="js-ledger.mysql"] .strip-mark').evaluateAll((marks) => marks.map((m) => m.getAttribute('data-verdict')))).toEqual(['regression', 'fixed']);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'history-strip.png'), fullPage: false });
  }, 3_600_000);
});
