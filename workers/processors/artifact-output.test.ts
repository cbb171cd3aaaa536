import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactOutputError, readArtifactOutput } from './artifact-output.js';

let dir: string;
let outside: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'artifact-out-'));
  outside = mkdtempSync(path.join(os.tmpdir(), 'artifact-host-'));
  writeFileSync(path.join(outside, 'host-secret'), 'host only\n');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('readArtifactOutput', () => {
  it('reads the regular files by name', () => {
    writeFileSync(path.join(dir, 'pkg.tgz'), 'tgz');
    writeFileSync(path.join(dir, 'pkg.whl'), 'whl');
    const files = readArtifactOutput(dir, 1);
    expect([...files.keys()]).toEqual(['pkg.tgz', 'pkg.whl']);
    expect(files.get('pkg.whl')!.toString()).toBe('whl');
  });

  it('refuses a link to a file outside, naming it, and reads nothing through it', () => {
    writeFileSync(path.join(dir, 'a.tgz'), 'tgz');
    symlinkSync(path.join(outside, 'host-secret'), path.join(dir, 'leak.txt'));
    expect(() => readArtifactOutput(dir, 1)).toThrow(new ArtifactOutputError('$COMPAT_ARTIFACT_DIR/leak.txt is a symbolic link; an artifact holds regular files only, at the folder\'s top level'));
  });

  it('refuses a directory, and a named pipe without blocking on it', () => {
    mkdirSync(path.join(dir, 'sub'));
    expect(() => readArtifactOutput(dir, 1)).toThrow(/\/sub is a directory/);
    rmSync(path.join(dir, 'sub'), { recursive: true });
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    expect(() => readArtifactOutput(dir, 1)).toThrow(/\/pipe is a named pipe/);
  });

  it('refuses an artifact whose files together pass the limit, naming the limit', () => {
    writeFileSync(path.join(dir, 'a.bin'), Buffer.alloc(600 * 1024));
    expect(readArtifactOutput(dir, 1).get('a.bin')!.length).toBe(600 * 1024);
    writeFileSync(path.join(dir, 'b.bin'), Buffer.alloc(600 * 1024));
    expect(() => readArtifactOutput(dir, 1)).toThrow(/artifact is over the 1 MB limit \(COMPAT_ARTIFACT_LIMIT_MB\): with \$COMPAT_ARTIFACT_DIR\/b\.bin it is 1228800 bytes/);
  });
});
