import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTEXT_CA_FILE, dockerfileContext } from './image-ref.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function context(): { dockerfile: string; context: string } {
  dir = mkdtempSync(path.join(os.tmpdir(), 'compat-ctx-'));
  const ctx = path.join(dir, 'Consumer Image');
  mkdirSync(path.join(ctx, 'files'), { recursive: true });
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM compat-runner:bookworm\nCOPY files /opt/files\n');
  writeFileSync(path.join(ctx, 'files', 'a.txt'), 'a\n');
  return { dockerfile: path.join(ctx, 'Dockerfile'), context: ctx };
}

describe('a Dockerfile image is named by its context', () => {
  it('keeps its tag while nothing changes, and gets a new one when a file, a mode or the CA bundle does', () => {
    const ref = context();
    const first = dockerfileContext(ref, null);
    expect(first.tag).toMatch(/^compat-dockerfile\/consumer-image:[0-9a-f]{20}$/);
    expect(dockerfileContext(ref, null).tag).toBe(first.tag);

    writeFileSync(path.join(ref.context, 'files', 'a.txt'), 'b\n');
    const edited = dockerfileContext(ref, null);
    expect(edited.tag).not.toBe(first.tag);

    writeFileSync(path.join(ref.context, 'files', 'run.sh'), 'true\n', { mode: 0o755 });
    const added = dockerfileContext(ref, null);
    rmSync(path.join(ref.context, 'files', 'run.sh'));
    writeFileSync(path.join(ref.context, 'files', 'run.sh'), 'true\n', { mode: 0o644 });
    expect(dockerfileContext(ref, null).tag).not.toBe(added.tag);

    const ca = path.join(dir, 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    const withCa = dockerfileContext(ref, ca);
    expect(withCa.tag).not.toBe(dockerfileContext(ref, null).tag);
    expect(withCa.entries.find((e) => e.name === CONTEXT_CA_FILE)?.data.toString()).toContain('BEGIN CERTIFICATE');
  });

  it('leaves .git out, keeps symlinks as links, and names a missing Dockerfile', () => {
    const ref = context();
    const before = dockerfileContext(ref, null).tag;
    mkdirSync(path.join(ref.context, '.git'));
    writeFileSync(path.join(ref.context, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    expect(dockerfileContext(ref, null).tag).toBe(before);
    symlinkSync('/etc/passwd', path.join(ref.context, 'link'));
    const link = dockerfileContext(ref, null).entries.find((e) => e.name === 'link');
    expect(link).toMatchObject({ type: 'symlink' });
    expect(link?.data.toString()).toBe('/etc/passwd');
    expect(() => dockerfileContext({ ...ref, dockerfile: path.join(ref.context, 'Missing.Dockerfile') }, null)).toThrow(/Dockerfile .*Missing\.Dockerfile does not exist in its context/);
  });

  it('sends what its .dockerignore leaves in, as docker build does, and a change to what it leaves out changes nothing', () => {
    const ref = context();
    mkdirSync(path.join(ref.context, 'node_modules', 'pkg'), { recursive: true });
    writeFileSync(path.join(ref.context, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;\n');
    mkdirSync(path.join(ref.context, 'docs'));
    writeFileSync(path.join(ref.context, 'docs', 'notes.md'), 'notes\n');
    writeFileSync(path.join(ref.context, 'docs', 'keep.md'), 'kept\n');
    writeFileSync(path.join(ref.context, 'local.env'), 'TOKEN=1\n');
    // Excluding the Dockerfile and .dockerignore themselves does not keep them from the engine.
    writeFileSync(path.join(ref.context, '.dockerignore'), 'node_modules\n*.env\ndocs\n!docs/keep.md\nDockerfile\n.dockerignore\n');
    const sent = dockerfileContext(ref, null);
    expect(sent.entries.map((e) => e.name)).toEqual(['.dockerignore', 'Dockerfile', 'docs/keep.md', 'files/a.txt', CONTEXT_CA_FILE]);
    writeFileSync(path.join(ref.context, 'node_modules', 'pkg', 'index.js'), 'module.exports = 2;\n');
    writeFileSync(path.join(ref.context, 'local.env'), 'TOKEN=2\n');
    expect(dockerfileContext(ref, null).tag).toBe(sent.tag);
    writeFileSync(path.join(ref.context, 'docs', 'keep.md'), 'changed\n');
    expect(dockerfileContext(ref, null).tag).not.toBe(sent.tag);
  });

  it('sends a Dockerfile that lives in a folder its .dockerignore excludes, and nothing else of that folder', () => {
    const ref = context();
    mkdirSync(path.join(ref.context, 'docker'));
    writeFileSync(path.join(ref.context, 'docker', 'Build.Dockerfile'), 'FROM compat-runner:bookworm\n');
    writeFileSync(path.join(ref.context, 'docker', 'notes.txt'), 'not sent\n');
    writeFileSync(path.join(ref.context, '.dockerignore'), 'docker\n');
    const sent = dockerfileContext({ ...ref, dockerfile: path.join(ref.context, 'docker', 'Build.Dockerfile') }, null);
    expect(sent.dockerfile).toBe('docker/Build.Dockerfile');
    expect(sent.entries.map((e) => e.name)).toEqual(['.dockerignore', 'Dockerfile', 'docker/Build.Dockerfile', 'files/a.txt', CONTEXT_CA_FILE]);
  });
});
