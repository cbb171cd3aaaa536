import { describe, expect, it } from 'vitest';
import { describePublished, pep440ToSemver, registryOf } from './published.js';

describe('published versions', () => {
  it('reads PEP 440 releases and prereleases as semver, and leaves out what semver cannot order', () => {
    expect(pep440ToSemver('1.4.35')).toBe('1.4.35');
    expect(pep440ToSemver('2.0')).toBe('2.0.0');
    expect(pep440ToSemver('2.0.0b1')).toBe('2.0.0-b1');
    expect(pep440ToSemver('2.0.0rc2')).toBe('2.0.0-rc2');
    expect(pep440ToSemver('1.0.post1')).toBeNull();
    expect(pep440ToSemver('1.0.dev3')).toBeNull();
  });

  it('names a registry baseline by registry, package and version', () => {
    expect(registryOf({ npm: '@scope/pkg' })).toEqual({ kind: 'npm', name: '@scope/pkg' });
    expect(describePublished({ registry: 'pypi', name: 'SQLAlchemy', published: '1.4.35' })).toBe('pypi:SQLAlchemy@1.4.35');
  });
});
