/**
 * A failure's cause as a key: its first error line with what varies between occurrences of one cause
 * taken out (numbers, ids, paths, addresses, quoted values), plus the innermost stack frame inside the
 * library under test when the trace has one. Pure, so the clusterer and its tests need nothing else.
 */

/** What one failure's cause normalises to. */
export interface FailureCause {
  /** The first error line as it was (trimmed, at most FIRST_LINE_MAX characters): what a cluster shows. */
  line: string;
  /** The first error line normalised: what failures of one cause share. */
  pattern: string;
  /** The innermost frame inside the library, `path/in/library.py in function`, without line numbers. */
  frame?: string;
}

const FIRST_LINE_MAX = 300;
/** The pattern (and the message shown) of a failure without a message. */
export const NO_MESSAGE = '(no message)';

/**
 * A leading exception type (`pymysql.err.ProgrammingError: `, `Error: `, `E   `): the same cause reads
 * `ProgrammingError` from one driver and `Error` from another, so it is not part of the key. A type
 * with nothing after it (`AssertionError`) is kept.
 */
const LEADING_TYPE = /^(?:E\s+)?[A-Za-z_][\w$.]*:\s+(?=\S)/;
/** A DB-API driver's `(errno, "message")` (PyMySQL, mysqlclient): the message is the cause. */
const ERRNO_TUPLE = /^\(\s*-?\d+\s*,\s*(["'])(.*)\1\s*\)$/;

const REPLACEMENTS: Array<[RegExp, string]> = [
  // URLs and connection strings before paths: `postgresql://u:p@host:5432/db`.
  [/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>'],
  // Memory addresses: `at 0x7f3a2c1b9d60`.
  [/\b0x[0-9a-f]+\b/gi, '<addr>'],
  // IPv4 with an optional port, IPv6 in brackets.
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<addr>'],
  [/\[[0-9a-f:]*:[0-9a-f:]*\](?::\d+)?/gi, '<addr>'],
  // UUIDs and long hex ids (shas, object ids).
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/gi, '<id>'],
  // Quoted values: `'Hero'`, `"users"`, `` `col` ``; before paths, so a quoted path is one value.
  [/'(?:[^'\\]|\\.)*'/g, "'…'"],
  [/"(?:[^"\\]|\\.)*"/g, '"…"'],
  [/`(?:[^`\\]|\\.)*`/g, '`…`'],
  // Paths: two or more segments, absolute, relative or Windows.
  [/(?:[A-Za-z]:)?(?:\.{0,2}[\\/])?(?:[\w.@+-]+[\\/])+[\w.@+-]+/g, '<path>'],
  // Numbers, with their decimals and units glued on (`12ms`, `3.5s`).
  [/\b\d+(?:\.\d+)?[a-z]{0,3}\b/gi, 'N'],
];

/** The first non-empty line of a failure's message. */
export function firstLine(message: string): string {
  let start = 0;
  while (start < message.length) {
    let end = message.indexOf('\n', start);
    if (end === -1) end = message.length;
    const line = message.slice(start, end).trim();
    if (line) return line.length > FIRST_LINE_MAX ? line.slice(0, FIRST_LINE_MAX) : line;
    start = end + 1;
  }
  return '';
}

/** The first line's pattern: the exception type and what varies taken out, spaces collapsed. */
export function normaliseLine(line: string): string {
  let text = line.replace(LEADING_TYPE, '');
  const tuple = ERRNO_TUPLE.exec(text);
  if (tuple) text = tuple[2];
  for (const [pattern, replacement] of REPLACEMENTS) text = text.replace(pattern, replacement);
  return text.replace(/\s+/g, ' ').trim();
}

/** The library's folders as they appear in paths (`sqlalchemy`, `my-lib` and `my_lib`), and a test for a line naming one. */
export interface LibraryDirs {
  names: string[];
  /** Whether a line has a path through one of them: the cheap test before a line is read as a frame. */
  inLine: RegExp | null;
}

export function packageDirs(library: string[]): LibraryDirs {
  const names = new Set<string>();
  for (const name of library) {
    const bare = name.replace(/^@[^/]+\//, '').toLowerCase();
    if (!bare) continue;
    names.add(bare);
    names.add(bare.replace(/-/g, '_'));
  }
  const escaped = [...names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return { names: [...names], inLine: escaped.length ? new RegExp(`[\\\\/](?:${escaped.join('|')})[\\\\/]`, 'i') : null };
}

interface Frame {
  path: string;
  fn?: string;
}

// Python's `File "/x/y.py", line 12, in f`; pytest's `/x/y.py:12: in f` (short) or `/x/y.py:12: Error`
// (long); Node's `at f (/x/y.js:1:2)` or `at /x/y.js:1:2`. Python and pytest print the innermost last,
// Node first.
const PY_FRAME = /^\s*File "([^"]+)", line \d+(?:, in (\S+))?/;
const PYTEST_FRAME = /^([^\s:][^:]*\.pyx?):\d+:(?: in (\S+))?/;
const NODE_FRAME = /^\s*at (?:(?:async )?([^\s(]+) \()?(?:file:\/\/)?([^():]+):\d+(?::\d+)?\)?\s*$/;

/** The innermost frame of the trace whose file lies in one of `dirs` (a path segment), or undefined. */
function libraryFrame(message: string, dirs: LibraryDirs): Frame | undefined {
  if (!dirs.inLine || !message.includes('\n')) return undefined;
  let python: Frame | undefined;
  let node: Frame | undefined;
  for (const raw of message.split('\n')) {
    if (!dirs.inLine.test(raw)) continue;
    let frame: Frame | undefined;
    let innermostFirst = false;
    let m = PY_FRAME.exec(raw) ?? PYTEST_FRAME.exec(raw);
    if (m) frame = { path: m[1], fn: m[2] };
    else if ((m = NODE_FRAME.exec(raw))) {
      frame = { path: m[2], fn: m[1] };
      innermostFirst = true;
    }
    if (!frame) continue;
    const inLibrary = inside(frame.path, dirs.names);
    if (!inLibrary) continue;
    frame = { path: inLibrary, fn: frame.fn };
    if (innermostFirst) node ??= frame;
    else python = frame;
  }
  return node ?? python;
}

/** The path from the library's folder on (`sqlalchemy/orm/session.py`), or undefined when outside it. */
function inside(path: string, dirs: string[]): string | undefined {
  const segments = path.split(/[\\/]/);
  // The last match: `site-packages/sqlalchemy/...` inside a checkout also named sqlalchemy.
  for (let i = segments.length - 2; i >= 0; i--) {
    const segment = segments[i].toLowerCase();
    if (dirs.includes(segment)) return segments.slice(i).join('/');
  }
  return undefined;
}

/**
 * One failure's cause. `library` names the library under test as its package folders may spell it
 * (the library's name, its registry name): frames in those folders are the library's.
 */
export function causeOf(message: string | undefined, library: string[] = []): FailureCause {
  return causeIn(message, packageDirs(library));
}

/** {@link causeOf} with the library's folders already made ({@link packageDirs}): the clusterer's loop. */
export function causeIn(message: string | undefined, dirs: LibraryDirs): FailureCause {
  const text = message ?? '';
  const line = firstLine(text);
  const pattern = normaliseLine(line) || NO_MESSAGE;
  const frame = libraryFrame(text, dirs);
  return frame ? { line, pattern, frame: frame.fn ? `${frame.path} in ${frame.fn}` : frame.path } : { line, pattern };
}
