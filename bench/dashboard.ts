/**
 * Dashboard render benchmark: a store seeded with one finished run of 3,000 cells (1,000 consumers x
 * sqlite/mysql/postgres, straight through the Store API, no containers), a real `compat server`, and
 * Debian's Chromium. Prints, over a few page loads: the API response, the time until the grid is in
 * the DOM and painted, the client-side share of it, Chromium's own script/layout totals, and how long a
 * live update of one cell takes to show. Numbers only: no assertion on absolute times.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { deletePrefixedKeys } from '../test/helpers/redis-keys.js';
import { loadConfig } from '../common/config.js';
import { BACKENDS } from '../common/types.js';
import { startServer } from '../server/server.js';
import { buildDashboard, chromiumAvailable, CHROMIUM, launchBrowser } from '../test/helpers/browser.js';
import { seedRun } from './seed.js';

const CONSUMERS = 1000;
const LOADS = 6;

interface Load {
  apiMs: number;
  domMs: number;
  paintMs: number;
  clientMs: number;
  rowsMs: number;
  scriptMs: number;
  layoutMs: number;
  styleMs: number;
  nodes: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

export async function benchDashboard(): Promise<void> {
  if (!chromiumAvailable()) {
    console.log(`dashboard bench skipped: no Chromium at ${CHROMIUM} (set COMPAT_CHROMIUM)`);
    return;
  }
  await buildDashboard();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-bench-'));
  const matrixFile = path.join(dir, 'matrix.yaml');
  writeFileSync(matrixFile, 'version: 1\n');
  const config = loadConfig({ dataDir: path.join(dir, 'data'), prefix: `bench${randomUUID().slice(0, 8)}`, matrixFile, port: 0 });
  const server = await startServer(config, { port: 0 });
  const browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  try {
    const store = server.store;
    let started = performance.now();
    const runId = seedRun(store, { id: 'rbench3000', consumers: CONSUMERS, backends: BACKENDS });
    const cells = store.getRun(runId)!.cells.length;
    console.log(`dashboard: seeded run ${runId} with ${cells} cells in ${(performance.now() - started).toFixed(0)} ms`);

    const storeTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      started = performance.now();
      store.getRun(runId);
      storeTimes.push(performance.now() - started);
    }
    const body = await fetch(`${server.url}/api/runs/${runId}`).then((r) => r.text());
    console.log(`dashboard: Store.getRun median ${median(storeTimes).toFixed(0)} ms; run JSON ${(body.length / 1024).toFixed(0)} KiB`);

    const loads: Load[] = [];
    for (let i = 0; i < LOADS; i++) {
      const page = await browser.context.newPage();
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Performance.enable');
      await page.goto(`${server.url}/runs/${runId}`);
      await page.waitForSelector('.matrix[data-ready="true"]');
      await page.waitForFunction(() => performance.getEntriesByName('compat:grid-painted').length > 0);
      // No named functions inside: tsx would wrap them in a helper that does not exist in the page.
      const timing = await page.evaluate((id) => {
        const api = performance.getEntriesByType('resource').find((e) => e.name.endsWith(`/api/runs/${id}`)) as PerformanceResourceTiming | undefined;
        return {
          apiStart: api?.requestStart ?? NaN,
          apiEnd: api?.responseEnd ?? NaN,
          dom: performance.getEntriesByName('compat:grid-rendered')[0]?.startTime ?? NaN,
          paint: performance.getEntriesByName('compat:grid-painted')[0]?.startTime ?? NaN,
          rows: performance.getEntriesByName('compat:rows-written')[0]?.duration ?? NaN,
          cells: document.querySelectorAll('[data-cell]').length,
          nodes: document.getElementsByTagName('*').length,
        };
      }, runId);
      if (timing.cells !== cells) throw new Error(`expected ${cells} cells on the page, found ${timing.cells}`);
      const metrics = Object.fromEntries(((await cdp.send('Performance.getMetrics')).metrics as Array<{ name: string; value: number }>).map((m) => [m.name, m.value]));
      loads.push({
        apiMs: timing.apiEnd - timing.apiStart,
        domMs: timing.dom,
        paintMs: timing.paint,
        clientMs: timing.paint - timing.apiEnd,
        rowsMs: timing.rows,
        scriptMs: (metrics.ScriptDuration ?? 0) * 1000,
        layoutMs: (metrics.LayoutDuration ?? 0) * 1000,
        styleMs: (metrics.RecalcStyleDuration ?? 0) * 1000,
        nodes: timing.nodes,
      });
      await page.close();
    }
    // The first load warms caches (bundle, SQLite pages, V8); it is shown but not in the medians.
    const warm = loads.slice(1);
    const row = (label: string, pick: (l: Load) => number) =>
      console.log(`  ${label.padEnd(44)} median ${fmt(median(warm.map(pick)))}   min ${fmt(Math.min(...warm.map(pick)))}   max ${fmt(Math.max(...warm.map(pick)))}   cold ${fmt(pick(loads[0]))}`);
    console.log(`dashboard: run page with ${cells} cells, ${LOADS} loads in Chromium (${loads[0].nodes} DOM elements)`);
    row('GET /api/runs/:id (request to response end)', (l) => l.apiMs);
    row('navigation start -> grid in the DOM', (l) => l.domMs);
    row('navigation start -> grid painted', (l) => l.paintMs);
    row('API response end -> grid painted (client)', (l) => l.clientMs);
    row('  of which: rows built and parsed as HTML', (l) => l.rowsMs);
    row('Chromium script time', (l) => l.scriptMs);
    row('Chromium layout time', (l) => l.layoutMs);
    row('Chromium style recalc time', (l) => l.styleMs);

    // A live update: the run is reopened, the page subscribes to its events, one cell changes.
    store.setRunState(runId, 'running', 'pending');
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/runs/${runId}`);
    await page.waitForSelector('.matrix[data-ready="true"]');
    await page.waitForSelector('.live-live');
    const target = store.getRun(runId)!.cells.find((c) => c.verdict === 'pass')!;
    const updates: number[] = [];
    for (const verdict of ['flaky', 'pass', 'flaky', 'pass'] as const) {
      const seen = page.waitForSelector(`[data-cell="${target.id}"][data-verdict="${verdict}"]`, { timeout: 30_000 });
      started = performance.now();
      store.setCellDecision(runId, target.id, verdict, 1, [], []);
      server.events.emit(`run:${runId}`);
      await seen;
      updates.push(performance.now() - started);
    }
    console.log(`dashboard: live update of one cell (store write -> event -> SSE -> grid): median ${median(updates).toFixed(0)} ms, of which 250 ms is the server's coalescing delay`);
    await page.close();
    store.setRunState(runId, 'done', 'blocked');
  } finally {
    await browser.close();
    await server.close();
    const redis = new Redis(config.redisUrl);
    await deletePrefixedKeys(redis, config.prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
