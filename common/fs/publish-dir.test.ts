import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publishDir } from './publish-dir.js';

const whole = (dir: string) => existsSync(path.join(dir, '.complete'));

/** Writes a few files, yielding between them, as a slow download would; the marker last. */
function slowBuild(label: string) {
  return async (tmp: string) => {
    mkdirSync(tmp, { recursive: true });
    for (let i = 0; i < 5; i++) {
      writeFileSync(path.join(tmp, `part${i}`), label);
      await new Promise((r) => setTimeout(r, 2));
    }
    writeFileSync(path.join(tmp, '.complete'), label);
  };
}

describe('publishDir', () => {
  it('builders at once end with one whole folder, from a single builder, and nothing of the others left', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'publish-'));
    const dir = path.join(root, 'artifact');
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((label) => publishDir(dir, slowBuild(label), whole)));
    const winner = readFileSync(path.join(dir, '.complete'), 'utf8');
    for (let i = 0; i < 5; i++) expect(readFileSync(path.join(dir, `part${i}`), 'utf8')).toBe(winner);
    expect(readdirSync(root)).toEqual(['artifact']);
  });

  it('replaces a folder left half written, and keeps a whole one', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'publish-'));
    const dir = path.join(root, 'artifact');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'part0'), 'crashed');
    expect(await publishDir(dir, slowBuild('new'), whole)).toBe(true);
    expect(readFileSync(path.join(dir, 'part0'), 'utf8')).toBe('new');
    // Whole already: not built again, and the caller told so (a cache hit).
    expect(await publishDir(dir, slowBuild('later'), whole)).toBe(false);
    expect(readFileSync(path.join(dir, '.complete'), 'utf8')).toBe('new');
    expect(readdirSync(root)).toEqual(['artifact']);
  });

  it('a build that fails leaves nothing behind', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'publish-'));
    const dir = path.join(root, 'mirror');
    await expect(publishDir(dir, async (tmp) => (mkdirSync(tmp), Promise.reject(new Error('clone failed'))), whole)).rejects.toThrow('clone failed');
    expect(readdirSync(root)).toEqual([]);
  });
});
