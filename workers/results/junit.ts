/**
 * JUnit XML -> per-test outcomes, with fast-xml-parser. Entities are never expanded (no billion laughs)
 * and files over a size cap are not read: a hostile suite cannot blow up the worker.
 */
import { XMLParser } from 'fast-xml-parser';
import { readdirSync, statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestOutcome } from '../../common/types.js';

/** Largest JUnit file read; larger ones are reported and skipped. */
export const JUNIT_MAX_BYTES = 32 * 1024 * 1024;
/** All JUnit files of one cell side together: past this, further files are reported and skipped. */
export const JUNIT_TOTAL_MAX_BYTES = 64 * 1024 * 1024;
/** Test outcomes kept per cell side (each becomes a row in the store and a line in the results message). */
export const JUNIT_MAX_TESTS = 100_000;
const MESSAGE_MAX = 4000;
const ID_MAX = 1000;

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

export function parseJUnit(xml: string): TestOutcome[] {
  const doc = parser.parse(xml) as { testsuites?: { testsuite?: XmlSuite[] } & XmlSuite; testsuite?: XmlSuite[] };
  const outcomes: TestOutcome[] = [];
  const visit = (suite: XmlSuite) => {
    for (const tc of suite.testcase ?? []) {
      const id = decodeXml([tc.classname || suite.name, tc.name].filter(Boolean).join('::')).slice(0, ID_MAX);
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
export function readResultsDir(dir: string): { tests: TestOutcome[]; problems: string[] } {
  const problems: string[] = [];
  const byId = new Map<string, TestOutcome>();
  const rank = { failed: 2, passed: 1, skipped: 0 };
  let totalBytes = 0;
  let dropped = 0;
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
  return { tests: [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)), problems };
}
