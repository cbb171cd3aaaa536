#!/usr/bin/env node
/**
 * Builds the dashboard into dashboards/dist: one JS bundle (preact, no CDN, no webfonts) and one
 * stylesheet, content-hashed so the server may cache them, and an index.html shell that names them.
 * Usage: node dashboards/build.js [--dev]   (--dev: no minification, inline source maps)
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'src');
const dist = path.join(here, 'dist');
const dev = process.argv.includes('--dev');

export async function buildDashboard() {
  const result = await build({
    entryPoints: [path.join(src, 'main.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: !dev,
    sourcemap: dev ? 'inline' : false,
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
  });
  const js = result.outputFiles[0].contents;
  const css = readFileSync(path.join(src, 'styles.css'));
  const hash = (data) => createHash('sha256').update(data).digest('hex').slice(0, 10);
  const jsName = `app-${hash(js)}.js`;
  const cssName = `app-${hash(css)}.css`;

  // Built beside dist and swapped in whole: a running server never sees half a build, and stale hashed
  // bundles from earlier builds do not pile up.
  const next = `${dist}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(path.join(next, 'assets'), { recursive: true });
  writeFileSync(path.join(next, 'assets', jsName), js);
  writeFileSync(path.join(next, 'assets', cssName), css);
  writeFileSync(path.join(next, 'favicon.svg'), readFileSync(path.join(src, 'favicon.svg')));
  const html = readFileSync(path.join(src, 'index.html'), 'utf8')
    .replace('%CSS%', `/assets/${cssName}`)
    .replace('%JS%', `/assets/${jsName}`);
  writeFileSync(path.join(next, 'index.html'), html);
  rmSync(dist, { recursive: true, force: true });
  renameSync(next, dist);
  return { dist, files: [`assets/${jsName}`, `assets/${cssName}`, 'index.html'], bytes: js.length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  buildDashboard().then(
    (out) => console.log(`dashboard built in ${Date.now() - started} ms: ${out.files.join(', ')} (${Math.round(out.bytes / 1024)} KiB JS)`),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
