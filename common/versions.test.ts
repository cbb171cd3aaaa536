import { describe, expect, it } from 'vitest';
import { chooseBaseline, compileTagPattern, taggedVersions, versionOfTag } from './versions.js';

describe('tag patterns', () => {
  it('reads v-prefixed tags and ignores others', () => {
    const p = compileTagPattern('v{version}');
    expect(versionOfTag('v1.2.3', p)).toBe('1.2.3');
    expect(versionOfTag('v2.0.0-rc.1', p)).toBe('2.0.0-rc.1');
    expect(versionOfTag('1.2.3', p)).toBeNull();
    expect(versionOfTag('v1.2', p)).toBeNull();
    expect(versionOfTag('release-1.2.3', p)).toBeNull();
  });

  it("reads SQLAlchemy's rel_X_Y_Z tags, prereleases included", () => {
    const p = compileTagPattern('rel_{major}_{minor}_{patch}{pre}');
    expect(versionOfTag('rel_0_9_5', p)).toBe('0.9.5');
    expect(versionOfTag('rel_2_0_0b1', p)).toBe('2.0.0-b1');
    expect(versionOfTag('rel_0_9', p)).toBeNull();
  });

  it('escapes regex characters in the fixed parts of a pattern', () => {
    const p = compileTagPattern('lib.v{version}');
    expect(versionOfTag('lib.v1.0.0', p)).toBe('1.0.0');
    expect(versionOfTag('libXv1.0.0', p)).toBeNull();
  });
});

describe('baseline choice', () => {
  const p = compileTagPattern('v{version}');
  // Out of order on purpose: tags come back from git sorted by name, not by version.
  const releases = taggedVersions(['v1.10.0', 'v1.2.0', 'v1.9.1', 'v2.0.0-rc.1', 'v1.9.0', 'junk', 'v0.9.0'], p);

  it('sorts by semver, not by name', () => {
    expect(releases.map((r) => r.version)).toEqual(['0.9.0', '1.2.0', '1.9.0', '1.9.1', '1.10.0', '2.0.0-rc.1']);
  });

  it('picks the highest release below the candidate', () => {
    expect(chooseBaseline('1.10.0', releases)?.tag).toBe('v1.9.1');
    expect(chooseBaseline('1.9.1', releases)?.tag).toBe('v1.9.0');
    expect(chooseBaseline('1.2.0', releases)?.tag).toBe('v0.9.0');
  });

  it("gives a prerelease candidate the latest stable release, never a sibling prerelease", () => {
    expect(chooseBaseline('2.0.0-rc.2', releases)?.tag).toBe('v1.10.0');
    expect(chooseBaseline('2.0.0', releases)?.tag).toBe('v1.10.0');
  });

  it('has no baseline below the first release', () => {
    expect(chooseBaseline('0.9.0', releases)).toBeNull();
  });

  it('works on SQLAlchemy-style tags', () => {
    const sa = compileTagPattern('rel_{major}_{minor}_{patch}{pre}');
    const r = taggedVersions(['rel_0_9_4', 'rel_0_9_5', 'rel_0_9_10', 'rel_1_0_0b1'], sa);
    expect(chooseBaseline('0.9.6', r)?.tag).toBe('rel_0_9_5');
    expect(chooseBaseline('1.0.0-b2', r)?.tag).toBe('rel_0_9_10');
  });
});
