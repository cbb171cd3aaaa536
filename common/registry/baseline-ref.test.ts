import { describe, expect, it } from 'vitest';
import { baselineFlagOf, baselineRefProblem, findPublished, integrityOf, parseBaselineRef, samePackage } from './baseline-ref.js';
import type { PublishedFile } from './published.js';

const pypiFile = (published: string, version: string): PublishedFile => ({
  registry: 'pypi',
  name: 'SQLAlchemy',
  version,
  published,
  url: `https://files.example/${published}.whl`,
  filename: `SQLAlchemy-${published}-py3-none-any.whl`,
  digest: { algorithm: 'sha256', hex: 'ab'.repeat(32) },
});

describe('a baseline as text', () => {
  it('reads a tag, npm:NAME@VERSION (scoped too) and pypi:NAME==VERSION (or @, as a run names it)', () => {
    expect(parseBaselineRef('v1.0.0')).toEqual({ ok: true, baseline: { kind: 'git', ref: 'v1.0.0' } });
    expect(parseBaselineRef('npm:knex@0.95.15')).toEqual({ ok: true, baseline: { kind: 'registry', registry: 'npm', name: 'knex', version: '0.95.15' } });
    expect(parseBaselineRef('npm:@scope/pkg@1.0.0-rc.1')).toEqual({ ok: true, baseline: { kind: 'registry', registry: 'npm', name: '@scope/pkg', version: '1.0.0-rc.1' } });
    expect(parseBaselineRef('pypi:SQLAlchemy==2.0.0b1')).toEqual({ ok: true, baseline: { kind: 'registry', registry: 'pypi', name: 'SQLAlchemy', version: '2.0.0b1' } });
    expect(parseBaselineRef('pypi:tinypy@1.1.0')).toEqual({ ok: true, baseline: { kind: 'registry', registry: 'pypi', name: 'tinypy', version: '1.1.0' } });
  });

  it('says what is wrong, in words the CLI and the API share', () => {
    expect(baselineRefProblem('npm:knex')).toBe('"npm:knex" names no version: write npm:NAME@VERSION, e.g. npm:knex@0.95.15');
    expect(baselineRefProblem('npm:@scope/pkg')).toMatch(/names no version/);
    expect(baselineRefProblem('npm:knex@latest')).toMatch(/^"latest" is not a version/);
    expect(baselineRefProblem('npm:knex@^0.95')).toMatch(/^"\^0.95" is not a version/);
    expect(baselineRefProblem('npm:Bad Name@1.0.0')).toBe('"Bad Name" is not an npm package name');
    expect(baselineRefProblem('pypi:SQLAlchemy')).toMatch(/write pypi:NAME==VERSION/);
    expect(baselineRefProblem('pypi:SQLAlchemy>=1.4')).toMatch(/write pypi:NAME==VERSION/);
    expect(baselineRefProblem('pypi:SQLAlchemy==1.0.dev3')).toMatch(/^"1.0.dev3" is not a release version/);
    expect(baselineRefProblem('cargo:serde@1.0.0')).toBe('unknown registry "cargo": the baseline is a tag or commit, npm:NAME@VERSION or pypi:NAME==VERSION');
    expect(baselineRefProblem('v1;rm -rf')).toBe('not a valid git ref: contains a character not allowed in a git ref');
    expect(baselineRefProblem('v1.0.0')).toBeNull();
  });

  it('finds the version as the registry spells it or by semver, PyPI names as PEP 503 compares them', () => {
    const files = [pypiFile('1.4.35', '1.4.35'), pypiFile('2.0.0b1', '2.0.0-b1')];
    expect(findPublished(files, '2.0.0b1')?.published).toBe('2.0.0b1');
    expect(findPublished(files, '2.0.0-b1')?.published).toBe('2.0.0b1');
    expect(findPublished(files, '1.4.36')).toBeUndefined();
    expect(samePackage('pypi', 'Foo_Bar', 'foo.bar')).toBe(true);
    expect(samePackage('npm', 'Foo', 'foo')).toBe(false);
  });

  it('names a published file again as a flag, and its digest as integrity', () => {
    expect(baselineFlagOf({ registry: 'pypi', name: 'tinypy', published: '1.1.0' })).toBe('pypi:tinypy==1.1.0');
    expect(baselineFlagOf({ registry: 'npm', name: 'is-number', published: '7.0.0' })).toBe('npm:is-number@7.0.0');
    // A sha512 digest read from an npm integrity comes back as the same integrity.
    const hex = Buffer.from('VJ9ICPjQbbOT2fbR0G9UNK7qgM8S3mI5cf5cQvwYjJS4mpN0BXlBf6bgnFg/pgJHq0E8B8L0Fb5ZZkf2RiPQdg==', 'base64').toString('hex');
    expect(integrityOf({ digest: { algorithm: 'sha512', hex } })).toBe('sha512-VJ9ICPjQbbOT2fbR0G9UNK7qgM8S3mI5cf5cQvwYjJS4mpN0BXlBf6bgnFg/pgJHq0E8B8L0Fb5ZZkf2RiPQdg==');
  });
});
