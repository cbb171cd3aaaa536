import { describe, expect, it } from 'vitest';
import type { ResolvedMatrix } from '../../common/matrix/load.js';
import { libraryForRepository, normalizeRepo } from './repo-match.js';

describe('normalizeRepo', () => {
  it.each([
    ['https://github.com/Octo/Lib.git', 'github.com/octo/lib'],
    ['https://github.com/octo/lib', 'github.com/octo/lib'],
    ['https://github.com/octo/lib/', 'github.com/octo/lib'],
    ['https://x-access-token:abc@github.com/octo/lib.git', 'github.com/octo/lib'],
    ['git@github.com:octo/lib.git', 'github.com/octo/lib'],
    ['ssh://git@github.com/octo/lib.git', 'github.com/octo/lib'],
    ['ssh://git@gitlab.example.com:2222/group/sub/lib.git', 'gitlab.example.com/group/sub/lib'],
    ['git://github.com/octo/lib.git', 'github.com/octo/lib'],
    ['https://gitlab.example.com:8443/group/lib?x=1', 'gitlab.example.com/group/lib'],
    ['/srv/repos/Lib', '/srv/repos/Lib'],
    ['/srv/repos/lib.git/', '/srv/repos/lib'],
    ['file:///srv/repos/lib', '/srv/repos/lib'],
  ])('%s -> %s', (raw, normalized) => {
    expect(normalizeRepo(raw)).toBe(normalized);
  });

  it('gives null for what names no repository', () => {
    expect(normalizeRepo('')).toBeNull();
    expect(normalizeRepo('lib')).toBeNull();
  });
});

describe('libraryForRepository', () => {
  const matrix = {
    libraries: [
      { name: 'quarry', repo: 'https://github.com/acme/quarry.git' },
      { name: 'local', repo: '/srv/repos/local-lib' },
      { name: 'mirror-a', repo: 'https://ghe.example.com/team/dup' },
      { name: 'mirror-b', repo: 'https://github.com/team/dup' },
    ],
  } as unknown as ResolvedMatrix;

  it('matches any of the payload URLs against the repo in matrix.yaml', () => {
    expect(libraryForRepository(matrix, { urls: ['git@github.com:ACME/quarry.git'] })?.name).toBe('quarry');
    expect(libraryForRepository(matrix, { urls: [null, 'https://github.com/acme/quarry'] })?.name).toBe('quarry');
    expect(libraryForRepository(matrix, { urls: ['/srv/repos/local-lib'] })?.name).toBe('local');
  });

  it('falls back to owner/name, only when it is unambiguous', () => {
    expect(libraryForRepository(matrix, { urls: [], fullName: 'acme/quarry' })?.name).toBe('quarry');
    expect(libraryForRepository(matrix, { urls: [], fullName: 'team/dup' })).toBeNull();
    expect(libraryForRepository(matrix, { urls: ['https://github.com/team/dup'], fullName: 'team/dup' })?.name).toBe('mirror-b');
  });

  it('does not match a repository that merely shares a suffix', () => {
    expect(libraryForRepository(matrix, { urls: ['https://github.com/evil/acme/quarry'] })).toBeNull();
    expect(libraryForRepository(matrix, { urls: [], fullName: 'quarry' })).toBeNull();
    expect(libraryForRepository(matrix, { urls: [], fullName: 'cme/quarry' })).toBeNull();
  });
});
