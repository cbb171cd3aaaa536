/**
 * Which library a webhook is about: the payload names its repository several ways (clone URL, web URL,
 * SSH URL, owner/name); matrix.yaml names it once, in any of those forms or as a local path. Both sides
 * are reduced to `host/path` (or the absolute path) before comparing.
 */
import type { ResolvedLibrary, ResolvedMatrix } from '../../common/matrix/load.js';
import type { RepositoryNames } from '../forges/types.js';

/** `https://u:p@GitHub.com/Owner/Repo.git/` and `git@github.com:owner/repo.git` both become `github.com/owner/repo`. */
export function normalizeRepo(raw: string): string | null {
  const value = raw.trim();
  if (!value) return null;
  let host: string | null = null;
  let rest: string;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(value);
  const scp = /^(?:[^@/\s]+@)?([^/:\s]+):(?!\/)(\S+)$/.exec(value);
  if (scheme) {
    if (scheme[1].toLowerCase() === 'file') {
      rest = scheme[2].replace(/^[^/]*/, '');
    } else {
      const slash = scheme[2].indexOf('/');
      const authority = slash === -1 ? scheme[2] : scheme[2].slice(0, slash);
      // Credentials and ports never identify a repository (SSH and HTTPS ports differ for the same one).
      host = authority.replace(/^.*@/, '').replace(/:\d*$/, '');
      rest = slash === -1 ? '' : scheme[2].slice(slash);
    }
  } else if (scp) {
    host = scp[1];
    rest = `/${scp[2]}`;
  } else if (value.startsWith('/')) {
    rest = value;
  } else {
    return null;
  }
  const cleaned = rest.replace(/[?#].*$/, '').replace(/\/+/g, '/').replace(/\/+$/, '').replace(/\.git$/, '');
  if (host === null) return cleaned || null;
  // Forges treat owner and repository names case-insensitively; local paths keep their case.
  return `${host}${cleaned}`.toLowerCase();
}

export type { RepositoryNames };

/** The library the payload's repository is, or null when none (or, by full name alone, more than one) matches. */
export function libraryForRepository(matrix: ResolvedMatrix, names: RepositoryNames): ResolvedLibrary | null {
  const libraries = matrix.libraries.map((library) => ({ library, key: normalizeRepo(library.repo) }));
  const wanted = new Set(names.urls.map((u) => (typeof u === 'string' ? normalizeRepo(u) : null)).filter((u): u is string => u !== null));
  const byUrl = libraries.find((l) => l.key !== null && wanted.has(l.key));
  if (byUrl) return byUrl.library;
  const fullName = names.fullName?.trim().replace(/^\/+|\/+$/g, '').replace(/\.git$/, '').toLowerCase();
  if (!fullName || !fullName.includes('/')) return null;
  const byName = libraries.filter((l) => l.key !== null && l.key.toLowerCase().endsWith(`/${fullName}`));
  return byName.length === 1 ? byName[0].library : null;
}
