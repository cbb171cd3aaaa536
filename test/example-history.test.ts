/**
 * The example library's history between v1.0.0 and v1.1.0, as materialized: what the bisect of the demo
 * walks. Real git, in a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_REPOS, materializeRepo } from '../examples/materialize.js';

let dir: string;
let repo: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'compat-history-'));
  await materializeRepo(dir, EXAMPLE_REPOS.find((r) => r.name === 'quarry')!);
  repo = path.join(dir, 'quarry');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quarry between v1.0.0 and v1.1.0', () => {
  it('has at least 12 first-parent commits, most of them touching files unrelated to upsert', () => {
    const shas = git('rev-list', '--first-parent', '--reverse', 'v1.0.0..v1.1.0').trim().split('\n');
    expect(shas.length).toBeGreaterThanOrEqual(13);
    const unrelated = shas.filter((sha) => !git('show', '--name-only', '--format=', sha).includes('src/index.js'));
    expect(unrelated.length).toBeGreaterThanOrEqual(8);
  });

  it('exactly one commit introduces the MySQL row alias, in both packages', () => {
    const shas = git('rev-list', '--first-parent', 'v1.0.0..v1.1.0').trim().split('\n');
    const culprits = shas.filter((sha) => /^\+.*AS new ON DUPLICATE KEY/m.test(git('show', '--format=', sha, '--', 'js/src', 'python/quarry')));
    expect(culprits).toHaveLength(1);
    expect(git('show', '--name-only', '--format=', culprits[0]).split('\n')).toEqual(expect.arrayContaining(['js/src/index.js', 'python/quarry/statements.py']));
  });

  it('exactly one commit cannot build: its script copies a LICENSE the next commit adds', () => {
    const shas = git('rev-list', '--first-parent', '--reverse', 'v1.0.0..v1.1.0').trim().split('\n');
    const copiesLicense = (sha: string) => git('show', `${sha}:build-artifacts.sh`).includes('cp LICENSE');
    const hasLicense = (sha: string) => git('ls-tree', '--name-only', sha).split('\n').includes('LICENSE');
    const broken = shas.filter((sha) => copiesLicense(sha) && !hasLicense(sha));
    expect(broken).toHaveLength(1);
  });

  it('ends in the v1.1.0 tree of examples/quarry/v1.1.0', () => {
    for (const file of git('ls-tree', '-r', '--name-only', 'v1.1.0').trim().split('\n')) {
      const folder = path.join(import.meta.dirname, '..', 'examples', 'quarry', 'v1.1.0', file);
      expect(git('show', `v1.1.0:${file}`), file).toBe(readFileSync(folder, 'utf8'));
    }
  });
});
