/**
 * A real Chromium for dashboard tests and the render benchmark: Debian's package, driven by
 * playwright-core over CDP (no browser download). Each launch gets a fresh profile directory, removed
 * on close.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { REPO_ROOT } from '../../common/config.js';

/** @defaultValue /usr/bin/chromium (env COMPAT_CHROMIUM) */
export const CHROMIUM = process.env.COMPAT_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'compat-chromium-'));
  // A persistent context is how playwright takes a user data dir of our choosing.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    reducedMotion: 'reduce',
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Builds dashboards/dist, as `npm run build` does (without the type check). */
export async function buildDashboard(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'dashboards', 'build.js')], { cwd: REPO_ROOT });
}
