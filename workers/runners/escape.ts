/**
 * From the test ids compat-matrix reads out of JUnit (`CLASSNAME::NAME`) to what each runner matches
 * names against. Patterns are whole-name regexes with every character of a title escaped, so a title
 * with brackets, dots, quotes or `|` selects itself and nothing else.
 */

/** Every regex metacharacter escaped (JavaScript, RE2 and Python agree on these escapes). */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Splits an id at its last `::` (a classname may hold `::` itself, a pytest one often does). */
export function splitId(id: string): { classname: string; name: string } {
  const at = id.lastIndexOf('::');
  return at < 0 ? { classname: '', name: id } : { classname: id.slice(0, at), name: id.slice(at + 2) };
}

/**
 * The full titles (`describe` titles and the test's, space-joined, as mocha, jest and vitest match
 * `--grep`/`-t` against) an id can stand for. JUnit reporters write them differently: our own writers
 * give `SUITE TITLES::TITLE`, mocha-junit-reporter in jenkins mode `SUITE.TITLES::TITLE`, jest-junit
 * `FULL::FULL`, vitest `FILE::A > B`.
 */
export function fullTitles(id: string): string[] {
  const { classname, name } = splitId(id);
  const titles = new Set<string>();
  if (classname) titles.add(`${classname} ${name}`);
  titles.add(name);
  if (name.includes(' > ')) titles.add(name.split(' > ').join(' '));
  return [...titles];
}

/**
 * One anchored regex for the full titles of `ids`: each title escaped exactly, except that a `.` in a
 * classname may also be the space between two suite titles (jenkins mode joins them with `.`).
 */
export function titlePattern(ids: string[]): string {
  const alternatives = new Set<string>();
  for (const id of ids) {
    const { classname, name } = splitId(id);
    if (classname) alternatives.add(`${escapeRegex(classname).replace(/\\\./g, '[. ]')} ${escapeRegex(name)}`);
    for (const title of fullTitles(id).slice(classname ? 1 : 0)) alternatives.add(escapeRegex(title));
  }
  return `^(?:${[...alternatives].join('|')})$`;
}

/** One anchored alternation of exact titles: `^(?:a|b)$`. */
export function exactAlternation(titles: string[]): string {
  return `^(?:${[...new Set(titles)].map(escapeRegex).join('|')})$`;
}

/**
 * `go test -run`: the pattern is split at unbracketed `/` into one regex per subtest level, and Go names
 * subtests with spaces as `_`. JUnit ids from go-junit-report and gotestsum are `PACKAGE::TestName[/sub]`.
 * Each level is anchored. Levels are matched independently, so ids at different depths may select a few
 * tests more than asked (a superset: never fewer).
 */
export function goRunPattern(ids: string[]): string {
  const byDepth: string[][] = [];
  for (const id of ids) {
    const levels = splitId(id).name.split('/');
    levels.forEach((level, depth) => (byDepth[depth] ??= []).push(level.replace(/ /g, '_')));
  }
  return byDepth
    .map((names) => `^(?:${[...new Set(names)].map(escapeRegex).join('|')})$`)
    .join('/');
}

/** GOFLAGS is split at spaces with no quoting: a space in a pattern is written `\x20`, which RE2 reads as one. */
export function goFlag(name: string, value: string): string {
  return `-${name}=${value.replace(/ /g, '\\x20')}`;
}
