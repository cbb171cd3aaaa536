import { describe, expect, it } from 'vitest';
import { artifactDigest, candidateLayerKey, installSnapshotKey, lockfilesDigest, type InstallKeyParts } from './key.js';

const base: InstallKeyParts = {
  consumer: 'app',
  repo: '/repos/app',
  sha: 'a'.repeat(40),
  imageId: 'sha256:1',
  install: 'npm ci',
  env: { NODE_ENV: 'test' },
  lockfiles: lockfilesDigest({ 'package-lock.json': 'b1' }),
};

describe('install snapshot keys', () => {
  it('is the same for the same inputs, whatever the env order', () => {
    expect(installSnapshotKey(base)).toBe(installSnapshotKey({ ...base, env: { NODE_ENV: 'test' } }));
    expect(installSnapshotKey({ ...base, env: { A: '1', B: '2' } })).toBe(installSnapshotKey({ ...base, env: { B: '2', A: '1' } }));
  });

  it('changes with the consumer, its commit, the image, the command, the env and the lockfiles', () => {
    const key = installSnapshotKey(base);
    for (const changed of [
      { consumer: 'app2' },
      { repo: '/repos/other' },
      { sha: 'b'.repeat(40) },
      { imageId: 'sha256:2' },
      { install: 'npm install' },
      { env: { NODE_ENV: 'production' } },
      { lockfiles: lockfilesDigest({ 'package-lock.json': 'b2' }) },
      { lockfiles: lockfilesDigest({ 'package-lock.json': 'b1', 'requirements.txt': 'c1' }) },
    ]) {
      expect(installSnapshotKey({ ...base, ...changed })).not.toBe(key);
    }
  });

  it('ignores files that are not lockfiles', () => {
    expect(lockfilesDigest({ 'package-lock.json': 'b1', 'README.md': 'x' })).toBe(lockfilesDigest({ 'package-lock.json': 'b1' }));
  });

  it('keys a candidate layer by snapshot and artifact content', () => {
    const parts = { snapshot: installSnapshotKey(base), artifactDigest: 'd1', installCandidate: 'npm i x.tgz', env: {} };
    expect(candidateLayerKey(parts)).toBe(candidateLayerKey({ ...parts }));
    expect(candidateLayerKey({ ...parts, artifactDigest: 'd2' })).not.toBe(candidateLayerKey(parts));
    expect(candidateLayerKey({ ...parts, snapshot: 'other' })).not.toBe(candidateLayerKey(parts));
  });

  it('digests artifacts by names and bytes, not by order', () => {
    const a = new Map([['x.whl', Buffer.from('1')], ['y.tgz', Buffer.from('2')]]);
    const b = new Map([['y.tgz', Buffer.from('2')], ['x.whl', Buffer.from('1')]]);
    expect(artifactDigest(a)).toBe(artifactDigest(b));
    expect(artifactDigest(new Map([['x.whl', Buffer.from('1')], ['y.tgz', Buffer.from('3')]]))).not.toBe(artifactDigest(a));
    expect(artifactDigest(new Map([['z.whl', Buffer.from('1')], ['y.tgz', Buffer.from('2')]]))).not.toBe(artifactDigest(a));
  });
});
