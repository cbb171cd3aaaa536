/**
 * Tags to versions and back, by a library's tag pattern (`v{version}`, SQLAlchemy's
 * `rel_{major}_{minor}_{patch}`), and the choice of baseline: the highest release below the candidate,
 * and for a prerelease candidate the latest stable release below it.
 */
import semver from 'semver';

export interface TagPattern {
  pattern: string;
  regex: RegExp;
}

const PLACEHOLDERS: Record<string, string> = {
  version: '(?<version>\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?)',
  major: '(?<major>\\d+)',
  minor: '(?<minor>\\d+)',
  patch: '(?<patch>\\d+)',
  pre: '(?<pre>[0-9A-Za-z.-]*)',
};

export function compileTagPattern(pattern: string): TagPattern {
  let source = '';
  let rest = pattern;
  while (rest.length > 0) {
    const match = /\{(version|major|minor|patch|pre)\}/.exec(rest);
    if (!match) {
      source += escapeRegex(rest);
      break;
    }
    source += escapeRegex(rest.slice(0, match.index)) + PLACEHOLDERS[match[1]];
    rest = rest.slice(match.index + match[0].length);
  }
  return { pattern, regex: new RegExp(`^${source}$`) };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The semver version a tag stands for, or null when the tag does not follow the pattern. */
export function versionOfTag(tag: string, pattern: TagPattern): string | null {
  const match = pattern.regex.exec(tag);
  if (!match?.groups) return null;
  const g = match.groups;
  let version: string;
  if (g.version) {
    version = g.version;
  } else {
    // SQLAlchemy-style prereleases ("rel_2_0_0b1") become "2.0.0-b1".
    const pre = g.pre ? `-${g.pre.replace(/^[-.]/, '')}` : '';
    version = `${g.major}.${g.minor}.${g.patch ?? '0'}${pre}`;
  }
  return semver.valid(version);
}

export interface TaggedVersion {
  tag: string;
  version: string;
}

export function taggedVersions(tags: string[], pattern: TagPattern): TaggedVersion[] {
  const out: TaggedVersion[] = [];
  for (const tag of tags) {
    const version = versionOfTag(tag, pattern);
    if (version) out.push({ tag, version });
  }
  return out.sort((a, b) => semver.compare(a.version, b.version));
}

/**
 * The baseline of a candidate: the highest release below it. A prerelease candidate (2.0.0-rc1) is
 * compared with the latest stable release below it, not with its sibling prereleases.
 */
export function chooseBaseline(candidate: string, releases: TaggedVersion[]): TaggedVersion | null {
  let best: TaggedVersion | null = null;
  for (const release of releases) {
    // Prereleases are never a baseline: what users run is the last stable release.
    if (semver.prerelease(release.version)) continue;
    if (!semver.lt(release.version, candidate)) continue;
    if (!best || semver.gt(release.version, best.version)) best = release;
  }
  return best;
}
