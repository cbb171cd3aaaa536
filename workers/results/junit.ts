/**
 * JUnit XML -> per-test outcomes, with fast-xml-parser. Entities are never expanded (no billion laughs)
 * and files over a size cap are not read: a hostile suite cannot blow up the worker.
 */
import { XMLParser } from 'fast-xml-parser';
import { createHash } from 'node:crypto';
import { readdirSync, statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DroppedTests, TestOutcome } from '../../common/types.js';

/** Largest JUnit file read; larger ones are reported and skipped. */
export const JUNIT_MAX_BYTES = 32 * 1024 * 1024;
/** All JUnit files of one cell side together: past this, further files are reported and skipped. */
export const JUNIT_TOTAL_MAX_BYTES = 64 * 1024 * 1024;
/** Test outcomes kept per cell side (each becomes a row in the store and a line in the results message). */
export const JUNIT_MAX_TESTS = 100_000;
/**
 * Characters of test ids and messages kept per cell side, all tests together: 100k ids that inherit a
 * 1,000-character suite name are 100 MB from a 4 MB file. Failures are kept first (they decide the
 * verdict), then passes, then skips, each in id order; what does not fit is counted in `dropped`.
 */
export const JUNIT_MAX_STORED_CHARS = 2 * 1024 * 1024;
/** Longest test id kept; a longer one is cut and ends in `…#` and a hash of the whole id, so two long ids stay two. */
export const JUNIT_ID_MAX = 256;
const MESSAGE_MAX = 4000;
/** Characters a test costs besides its id and message (its row, its status, its duration). */
const PER_TEST_OVERHEAD = 8;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
});

interface XmlCase {
  name?: string;
  classname?: string;
  time?: string;
  failure?: Array<XmlProblem | string>;
  error?: Array<XmlProblem | string>;
  skipped?: Array<XmlProblem | string>;
}

interface XmlProblem {
  message?: string;
  '#text'?: string;
}

interface XmlSuite {
  name?: string;
  testcase?: XmlCase[];
  testsuite?: XmlSuite[];
}

/** The five predefined XML entities and character references; DOCTYPE entities are never expanded. */
function decodeXml(text: string): string {
  if (!text.includes('&')) return text;
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  return text.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (_m, entity: string) => {
    if (entity[0] !== '#') return named[entity];
    const code = entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

function problemText(problem: XmlProblem | string | undefined): string | undefined {
  if (problem === undefined) return undefined;
  const text = typeof problem === 'string' ? problem : [problem.message, problem['#text']].filter(Boolean).join('\n');
  return decodeXml(text).slice(0, MESSAGE_MAX) || undefined;
}

/** An id within JUNIT_ID_MAX: long ones keep their start and end in `…#` and 12 hex digits of their hash. */
export function capId(id: string): string {
  if (id.length <= JUNIT_ID_MAX) return id;
  const suffix = `…#${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
  // Code points, not UTF-16 halves: a cut never leaves half a surrogate pair. One slice, not a string
  // built a character at a time: 100k long ids made that mostly garbage collection.
  let cut = JUNIT_ID_MAX - suffix.length;
  if (/[\uD800-\uDBFF]/.test(id[cut - 1]) && /[\uDC00-\uDFFF]/.test(id[cut])) cut--;
  return id.slice(0, cut) + suffix;
}

/** What one test costs the side's allowance. */
function costOf(test: TestOutcome): number {
  return test.id.length + (test.message?.length ?? 0) + PER_TEST_OVERHEAD;
}

/**
 * Keeps what fits JUNIT_MAX_STORED_CHARS and JUNIT_MAX_TESTS: failures first, then passes, then skips,
 * each in id order (the same file keeps the same tests). Returns the kept tests sorted by id and what was
 * dropped, or no `dropped` when everything fit.
 */
export function capOutcomes(
  tests: TestOutcome[],
  limits: { maxChars: number; maxTests: number } = { maxChars: JUNIT_MAX_STORED_CHARS, maxTests: JUNIT_MAX_TESTS },
): { tests: TestOutcome[]; dropped?: DroppedTests } {
  const rank = { failed: 0, passed: 1, skipped: 2 };
  const ordered = [...tests].sort((a, b) => rank[a.status] - rank[b.status] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kept: TestOutcome[] = [];
  const dropped: DroppedTests = { tests: 0, failed: 0, chars: 0 };
  let used = 0;
  for (const test of ordered) {
    const cost = costOf(test);
    if (kept.length < limits.maxTests && used + cost <= limits.maxChars) {
      kept.push(test);
      used += cost;
    } else {
      dropped.tests++;
      if (test.status === 'failed') dropped.failed++;
      dropped.chars += cost;
    }
  }
  kept.sort((a, b) => a.id.localeCompare(b.id));
  return dropped.tests ? { tests: kept, dropped } : { tests: kept };
}

export function parseJUnit(xml: string): TestOutcome[] {
  const doc = parser.parse(xml) as { testsuites?: { testsuite?: XmlSuite[] } & XmlSuite; testsuite?: XmlSuite[] };
  const outcomes: TestOutcome[] = [];
  const visit = (suite: XmlSuite) => {
    for (const tc of suite.testcase ?? []) {
      const id = capId(decodeXml([tc.classname || suite.name, tc.name].filter(Boolean).join('::')));
      if (!id) continue;
      const failure = tc.failure?.[0] ?? tc.error?.[0];
      const status: TestOutcome['status'] = failure !== undefined ? 'failed' : tc.skipped ? 'skipped' : 'passed';
      const seconds = Number(tc.time);
      outcomes.push({
        id,
        status,
        ...(failure !== undefined ? { message: problemText(failure) ?? 'failed' } : {}),
        ...(Number.isFinite(seconds) ? { durationMs: Math.round(seconds * 1000) } : {}),
      });
    }
    for (const child of suite.testsuite ?? []) visit(child);
  };
  const roots = doc.testsuites ? [doc.testsuites] : (doc.testsuite ?? []);
  for (const root of roots) visit(root);
  return outcomes;
}

/**
 * Reads every *.xml under a results directory. The same test id seen twice keeps its worst outcome,
 * so a suite that writes one file per run cannot hide a failure behind a later pass.
 */
export function readResultsDir(dir: string): { tests: TestOutcome[]; problems: string[]; dropped?: DroppedTests } {
  const problems: string[] = [];
  const byId = new Map<string, TestOutcome>();
  const rank = { failed: 2, passed: 1, skipped: 0 };
  let totalBytes = 0;
  let dropped = 0;
  let droppedFailed = 0;
  let droppedChars = 0;
  const walk = (current: string, depth: number) => {
    if (depth > 4) return;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const file = path.join(current, entry.name);
      if (entry.isDirectory()) walk(file, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.xml')) {
        const size = statSync(file).size;
        if (size > JUNIT_MAX_BYTES) {
          problems.push(`${entry.name}: ${size} bytes is over the ${JUNIT_MAX_BYTES}-byte limit; not read`);
          continue;
        }
        if (totalBytes + size > JUNIT_TOTAL_MAX_BYTES) {
          problems.push(`${entry.name}: JUnit files together are over the ${JUNIT_TOTAL_MAX_BYTES}-byte limit; not read`);
          continue;
        }
        totalBytes += size;
        try {
          for (const test of parseJUnit(readFileSync(file, 'utf8'))) {
            const seen = byId.get(test.id);
            if (!seen && byId.size >= JUNIT_MAX_TESTS) {
              dropped++;
              if (test.status === 'failed') droppedFailed++;
              droppedChars += costOf(test);
              continue;
            }
            if (!seen || rank[test.status] > rank[seen.status]) byId.set(test.id, test);
          }
        } catch (error) {
          problems.push(`${entry.name}: not valid JUnit XML (${(error as Error).message.split('\n')[0]})`);
        }
      }
    }
  };
  try {
    walk(dir, 0);
  } catch (error) {
    problems.push(`cannot read results: ${(error as Error).message}`);
  }
  if (dropped > 0) problems.push(`${dropped} more tests past the first ${JUNIT_MAX_TESTS} were not kept`);
  const capped = capOutcomes([...byId.values()]);
  if (capped.dropped) {
    problems.push(
      `${capped.dropped.tests} tests (${capped.dropped.failed} of them failed, ${capped.dropped.chars} characters) over the ${JUNIT_MAX_STORED_CHARS}-character allowance of a side were not kept`,
    );
  }
  const all: DroppedTests | undefined =
    capped.dropped || dropped
      ? { tests: dropped + (capped.dropped?.tests ?? 0), failed: droppedFailed + (capped.dropped?.failed ?? 0), chars: droppedChars + (capped.dropped?.chars ?? 0) }
      : undefined;
  return { tests: capped.tests, problems, ...(all ? { dropped: all } : {}) };
}
