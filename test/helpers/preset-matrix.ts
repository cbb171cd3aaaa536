/**
 * The example matrix (matrix.yaml) with a runner-preset twin of each consumer that has a `rerun`
 * command: `py-inventory-preset` (runner: pytest) and `js-ledger-preset` (runner: mocha), the same
 * commands without `rerun`. One confirming re-run, no bisect: what differs between a twin and its
 * original is only how a re-run selects its tests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../common/config.js';

export function presetTwinsMatrix(dir: string): string {
  const text = readFileSync(path.join(REPO_ROOT, 'matrix.yaml'), 'utf8')
    .replaceAll('repo: examples/.repos/', `repo: ${path.join(REPO_ROOT, 'examples', '.repos')}/`)
    .replaceAll('timeoutSeconds: 300', 'timeoutSeconds: 1800')
    .replace('defaults:\n', 'defaults:\n  reruns: 1\n')
    .replace('    tags: v{version}\n', '    tags: v{version}\n    bisect: false\n');
  // Each consumer block of quarry, from its `- name:` line to the next one.
  const blocks = text.split(/(?=\n {6}- name: )/);
  const twins: string[] = [];
  for (const [name, runner] of [
    ['py-inventory', 'pytest'],
    ['js-ledger', 'mocha'],
  ]) {
    const block = blocks.find((b) => b.startsWith(`\n      - name: ${name}\n`))!;
    twins.push(
      block
        .replace(`- name: ${name}\n`, `- name: ${name}-preset\n        runner: ${runner}\n`)
        .replace(/ {8}rerun: >-\n(?: {10}.*\n)+/, '')
        .replace(/ {8}# rerun: .*\n/, '')
        .replace(/\n {6}# .*$/s, '\n')
        .replace(/\n+$/, '\n'),
    );
  }
  const at = text.indexOf('\n\n      # A suite that ignores DATABASE_URL');
  const file = path.join(dir, 'matrix.yaml');
  writeFileSync(file, `${text.slice(0, at)}\n${twins.join('\n')}${text.slice(at)}`);
  return file;
}
