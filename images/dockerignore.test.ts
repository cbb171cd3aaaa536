/**
 * What goes into compat-matrix's own image (issue 16 item 11): after a demo, .compat/ holds the admin
 * token, the store and the mirrors. `docker build .` must not send it (the repository's .dockerignore, read
 * with Docker's own rules), and the offline build (copyHostPaths) must leave out the same paths.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Ignore } from '@balena/dockerignore';
import { copyHostPaths } from './offline-build.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as () => Ignore;
const RULES = path.join(REPO_ROOT, '.dockerignore');
const SECRET_PATHS = ['.compat/admin-token', '.compat/store.db', '.compat/mirrors/quarry.git/config', 'examples/.compat/admin-token', '.env', 'server/.env', '.git/config', '.wip/x.patch'];

const scratch = mkdtempSync(path.join(os.tmpdir(), 'compat-dockerignore-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('docker build . (the Dockerfile)', () => {
  it('sends no token, store, mirror or .env, and does send the code', () => {
    const rules = dockerignore().add(readFileSync(RULES, 'utf8'));
    for (const secret of SECRET_PATHS) expect(rules.ignores(secret), secret).toBe(true);
    for (const code of ['Dockerfile', 'package.json', 'package-lock.json', 'bin/compat.js', 'server/server.ts', 'workers/worker.ts', 'matrix.yaml', 'examples/.repos/quarry/README.md', 'examples/.repos/quarry/.git/HEAD']) {
      expect(rules.ignores(code), code).toBe(false);
    }
  });
});

describe('the offline image build (copyHostPaths)', () => {
  it('leaves out what .dockerignore leaves out (a path listed by name too), keeps node_modules as told, modes and links', () => {
    const repo = path.join(scratch, 'repo');
    const file = (rel: string, text = rel, mode = 0o644) => {
      mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      writeFileSync(path.join(repo, rel), text);
      chmodSync(path.join(repo, rel), mode);
    };
    file('.dockerignore', readFileSync(RULES, 'utf8'));
    file('bin/compat.js', '#!/usr/bin/env node', 0o755);
    file('examples/.repos/quarry/README.md');
    file('examples/.repos/quarry/.git/HEAD', 'ref: refs/heads/main');
    file('examples/.compat/admin-token', 'cmx_secret');
    file('examples/.env', 'KEY=secret');
    file('node_modules/pino/index.js');
    file('node_modules/pino/.git/config');
    mkdirSync(path.join(repo, 'node_modules/.bin'), { recursive: true });
    symlinkSync('../pino/index.js', path.join(repo, 'node_modules/.bin/pino'));
    file('.compat/admin-token', 'cmx_secret');

    const image = path.join(scratch, 'image');
    const paths = Object.fromEntries(['bin', 'examples', 'node_modules', '.compat'].map((p) => [`/app/${p}`, path.join(repo, p)]));
    copyHostPaths(paths, image, { rulesFile: path.join(repo, '.dockerignore'), root: repo, keep: ['node_modules'] });

    expect(readFileSync(path.join(image, 'app/examples/.repos/quarry/README.md'), 'utf8')).toBe('examples/.repos/quarry/README.md');
    // The example repositories' histories stay: the composed server clones them (compose.test.ts).
    expect(readFileSync(path.join(image, 'app/examples/.repos/quarry/.git/HEAD'), 'utf8')).toBe('ref: refs/heads/main');
    expect(statSync(path.join(image, 'app/bin/compat.js')).mode & 0o777).toBe(0o755);
    expect(existsSync(path.join(image, 'app/node_modules/pino/index.js'))).toBe(true);
    expect(lstatSync(path.join(image, 'app/node_modules/.bin/pino')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(image, 'app/node_modules/.bin/pino'))).toBe('../pino/index.js');
    // Out, wherever it is: a demo's data dir (even one listed by name), an .env, a nested .git.
    for (const gone of ['app/examples/.compat', 'app/examples/.env', 'app/node_modules/pino/.git', 'app/.compat/admin-token']) {
      expect(existsSync(path.join(image, gone)), gone).toBe(false);
    }
  });
});
