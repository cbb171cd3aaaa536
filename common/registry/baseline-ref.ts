/**
 * What `--baseline` (and `baseline` in `POST /api/runs`) may name: a tag or commit of the library's
 * repository, or a published version, `npm:NAME@VERSION` or `pypi:NAME==VERSION` (also `pypi:NAME@VERSION`,
 * as a run names it). Parsed here only, so the CLI and the API refuse the same text with the same words.
 * A git ref can never contain ":", so the two kinds cannot be mistaken for each other.
 */
import semver from 'semver';
import { refNameProblem } from '../git/ref.js';
import { pep440ToSemver, type PublishedFile, type RegistryKind, type RegistryRef } from './published.js';

export type BaselineRef =
  | { kind: 'git'; ref: string }
  /** `version` as the user wrote it (PyPI's `2.0.0b1` stays so); matched against what the registry lists. */
  | { kind: 'registry'; registry: RegistryKind; name: string; version: string };

export const BASELINE_FORMS = 'a tag or commit, npm:NAME@VERSION or pypi:NAME==VERSION';

// npm's rules for a package name (validate-npm-package-name), case left free for old packages.
const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*$/i;
// PEP 508 project names.
const PYPI_NAME = /^(?:[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$/i;
const MAX_NAME = 214;

export type Parsed = { ok: true; baseline: BaselineRef } | { ok: false; problem: string };

export function parseBaselineRef(text: string): Parsed {
  const fail = (problem: string): Parsed => ({ ok: false, problem });
  const prefix = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  if (!prefix) {
    const problem = refNameProblem(text);
    return problem ? fail(`not a valid git ref: ${problem}`) : { ok: true, baseline: { kind: 'git', ref: text } };
  }
  const scheme = prefix[1].toLowerCase();
  const rest = text.slice(prefix[0].length);
  if (scheme === 'npm') {
    // The version follows the last "@": a scoped name starts with one.
    const at = rest.lastIndexOf('@');
    if (at <= 0) return fail(`"${text}" names no version: write npm:NAME@VERSION, e.g. npm:knex@0.95.15`);
    const name = rest.slice(0, at);
    const version = rest.slice(at + 1);
    if (name.length > MAX_NAME || !NPM_NAME.test(name)) return fail(`"${name}" is not an npm package name`);
    if (!semver.valid(version)) return fail(`"${version}" is not a version (npm:NAME@VERSION wants an exact semver version, e.g. 0.95.15)`);
    return { ok: true, baseline: { kind: 'registry', registry: 'npm', name, version } };
  }
  if (scheme === 'pypi') {
    const m = /^([^=@]+)(?:==|@)(.+)$/.exec(rest);
    if (!m) return fail(`"${text}" names no version: write pypi:NAME==VERSION, e.g. pypi:SQLAlchemy==1.4.35`);
    const [, name, version] = m;
    if (name.length > MAX_NAME || !PYPI_NAME.test(name)) return fail(`"${name}" is not a PyPI project name`);
    if (!pep440ToSemver(version)) return fail(`"${version}" is not a release version (pypi:NAME==VERSION wants an exact one, e.g. 1.4.35)`);
    return { ok: true, baseline: { kind: 'registry', registry: 'pypi', name, version } };
  }
  return fail(`unknown registry "${prefix[1]}": the baseline is ${BASELINE_FORMS}`);
}

/** Why `text` is no baseline, or null. */
export function baselineRefProblem(text: string): string | null {
  const parsed = parseBaselineRef(text);
  return parsed.ok ? null : parsed.problem;
}

export function registryRefOf(baseline: Extract<BaselineRef, { kind: 'registry' }>): RegistryRef {
  return baseline.registry === 'npm' ? { npm: baseline.name } : { pypi: baseline.name };
}

/** PEP 503: PyPI treats `Foo_Bar`, `foo-bar` and `foo.bar` as one project; npm names are exact. */
export function samePackage(registry: RegistryKind, a: string, b: string): boolean {
  const norm = (name: string) => (registry === 'pypi' ? name.replace(/[-_.]+/g, '-').toLowerCase() : name);
  return norm(a) === norm(b);
}

/** The published file of `version`: as the registry spells it, else the same version by semver (`2.0.0b1` = `2.0.0-b1`). */
export function findPublished(files: PublishedFile[], version: string): PublishedFile | undefined {
  const wanted = files[0]?.registry === 'pypi' ? pep440ToSemver(version) : semver.valid(version);
  return files.find((f) => f.published === version) ?? (wanted ? files.find((f) => semver.eq(f.version, wanted)) : undefined);
}

/** The `--baseline` that names this published file again (the reproduce line, a report). */
export function baselineFlagOf(file: Pick<PublishedFile, 'registry' | 'name' | 'published'>): string {
  return file.registry === 'npm' ? `npm:${file.name}@${file.published}` : `pypi:${file.name}==${file.published}`;
}

/** The registry's digest as Subresource Integrity (`sha512-BASE64`), npm's own `integrity` form. */
export function integrityOf(file: Pick<PublishedFile, 'digest'>): string {
  return `${file.digest.algorithm}-${Buffer.from(file.digest.hex, 'hex').toString('base64')}`;
}
