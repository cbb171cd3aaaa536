import { describe, expect, it } from 'vitest';
import { reusableBaseline } from './reuse-check.js';

const facts = { consumerSha: 'c1', imageId: 'i1', artifactDigest: 'a1', databaseImageId: 'd1' };

describe('reusing a baseline result', () => {
  it('reuses when everything the host knows is as it was', () => {
    expect(reusableBaseline({ side: 'baseline', attempt: 0, reuse: { runId: 'r1', facts } }, { ...facts })).toBe('r1');
  });

  it('runs the side when the commit, an image or the artifact changed', () => {
    for (const changed of [{ consumerSha: 'c2' }, { imageId: 'i2' }, { artifactDigest: 'a2' }, { databaseImageId: 'd2' }, { databaseImageId: undefined }]) {
      expect(reusableBaseline({ side: 'baseline', attempt: 0, reuse: { runId: 'r1', facts } }, { ...facts, ...changed })).toBeNull();
    }
  });

  it('never reuses a confirming re-run, a candidate, or without a proposal', () => {
    expect(reusableBaseline({ side: 'baseline', attempt: 1, reuse: { runId: 'r1', facts } }, facts)).toBeNull();
    expect(reusableBaseline({ side: 'candidate', attempt: 0, reuse: { runId: 'r1', facts } }, facts)).toBeNull();
    expect(reusableBaseline({ side: 'baseline', attempt: 0 }, facts)).toBeNull();
  });
});
