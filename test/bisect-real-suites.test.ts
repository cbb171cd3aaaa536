/**
 * Bisect on real suites (issue 22): failures that exist only when they fail. A real mocha consumer whose
 * store tests open their store in a `beforeEach` hook (a kvlib commit renames `openStore`: the hook fails,
 * reported under its own title, and the tests under it are not run), and a real pytest consumer whose
 * test module imports a name a minilib commit renames (one collection error, its own id, and pytest stops
 * the session). On a good commit those ids are absent, never passing; each bisect still has to end
 * `found`, every step good or bad, over twelve commits. One stack for both, sqlite.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BisectJson, RunJson } from '../common/types.js';
import { STEP_RULES } from '../server/bisect/outcome.js';
import { commitsBetween, makeRepo, type Version } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'bisect-real');
/** Commits after the baseline, the last one the candidate; `culprit` is the 1-based one that breaks. */
const COMMITS = 12;
const MAX_STEPS = Math.ceil(Math.log2(COMMITS + 1)) + 2;

/** A fixture folder's files, as a version of a repository. */
function filesOf(dir: string, under = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(path.join(dir, under))) {
    const rel = path.join(under, name);
    if (statSync(path.join(dir, rel)).isDirectory()) Object.assign(files, filesOf(dir, rel));
    else files[rel] = readFileSync(path.join(dir, rel), 'utf8');
  }
  return files;
}

/** A library of one file over twelve commits after v1.0.0; from `culprit` on, `broken` replaces `good`. */
function library(dir: string, file: string, good: string, broken: string, culprit: number, subject: string): string {
  const build = `cp ${file} "$COMPAT_ARTIFACT_DIR/"\necho built\n`;
  const versions: Version[] = [{ tag: 'v1.0.0', files: { [file]: good, 'build.sh': build, 'README': 'v1.0.0\n' } }];
  for (let i = 1; i <= COMMITS; i++) {
    versions.push({
      ...(i === COMMITS ? { tag: 'v1.1.0' } : {}),
      message: i === culprit ? subject : `docs: note ${i}`,
      files: { [file]: i >= culprit ? broken : good, README: `notes up to ${i}\n` },
    });
  }
  return makeRepo(dir, versions);
}

const KVLIB = `'use strict';
exports.openStore = () => {
  const m = new Map();
  return { put: (k, v) => m.set(k, v), get: (k) => m.get(k), delete: (k) => m.delete(k), keys: () => [...m.keys()].sort() };
};
exports.format = (n) => n.toFixed(2);
`;
const MINILIB = `def tokens(text):
    return text.split()


def render(value):
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)
`;
const KV_CULPRIT = 8;
const PY_CULPRIT = 5;

let stack: Stack;
const repos: Record<string, string> = {};

function matrix(dir: string): string {
  repos.kvlib = library(path.join(dir, 'repos', 'kvlib'), 'kvlib.cjs', KVLIB, KVLIB.replace('exports.openStore', 'exports.open'), KV_CULPRIT, 'Rename openStore to open');
  repos.minilib = library(path.join(dir, 'repos', 'minilib'), 'minilib.py', MINILIB, MINILIB.replace('def tokens', 'def tokenize'), PY_CULPRIT, 'Rename tokens to tokenize');
  const kvApp = makeRepo(path.join(dir, 'repos', 'kv-app'), [{ tag: 'v1.0.0', files: filesOf(path.join(FIXTURES, 'kv-app')) }]);
  const pyApp = makeRepo(path.join(dir, 'repos', 'py-app'), [{ tag: 'v1.0.0', files: filesOf(path.join(FIXTURES, 'py-app')) }]);
  const pytest = 'PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$COMPAT_ARTIFACT_DIR" python3 -m pytest -q -p no:cacheprovider --junitxml="$COMPAT_RESULTS_DIR/junit.xml"';
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 1 }
libraries:
  - name: kvlib
    repo: ${repos.kvlib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 120 }
    consumers:
      - name: kv-app
        repo: ${kvApp}
        ref: v1.0.0
        image: compat-runner:bookworm
        install: npm ci --no-audit --no-fund
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/kvlib.cjs"
        test: MOCHA_FILE="$COMPAT_RESULTS_DIR/junit.xml" npm run --silent test:ci
        # As js-ledger's: mocha --grep with the titles of the tests asked for.
        rerun: >-
          MOCHA_FILE="$COMPAT_RESULTS_DIR/junit.xml" npm run --silent test:ci -- --grep
          "$(sed -e 's/.*:://' -e 's#[][(){}.*+?^$|\\\\]#\\\\&#g' "$COMPAT_RERUN_TESTS_FILE" | paste -sd'|' -)"
        backends: [sqlite]
        timeoutSeconds: 600
  - name: minilib
    repo: ${repos.minilib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 120 }
    consumers:
      - name: py-app
        repo: ${pyApp}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/minilib.py"
        test: ${pytest}
        # As py-inventory's: JUnit ids (tests.test_parse::test_x) as pytest node ids, one argument each.
        rerun: >-
          sed -E -e 's#^(.*)::#\\1.py::#' -e ':a' -e 's#^([^:]*)\\.([^:]*\\.py::)#\\1/\\2#' -e 'ta' "$COMPAT_RERUN_TESTS_FILE"
          | xargs -d '\\n' env ${pytest}
        backends: [sqlite]
        timeoutSeconds: 600
`,
  );
}


async function bisected(library: string, cellId: string): Promise<{ run: RunJson; bisect: BisectJson }> {
  const created = await stack.api('POST', '/api/runs', { library, candidate: 'v1.1.0', baseline: 'v1.0.0' });
  expect(created.status).toBe(201);
  const run = await stack.waitForSettled(created.body.id as string, 1_800_000);
  const bisect = run.cells.find((c) => c.id === cellId)?.bisect;
  if (!bisect) throw new Error(`no bisect on ${cellId}: ${JSON.stringify(run.cells.map((c) => [c.id, c.verdict, c.newFailures, c.candidate]))}`);
  return { run, bisect };
}

/** Prints each step (commit, outcome, rule) and checks it: good before the culprit, bad from it on, never a skip. */
function checkSteps(name: string, bisect: BisectJson, commits: string[], culprit: number): void {
  const rules = Object.values(STEP_RULES) as string[];
  console.log(`bisect ${name}: ${bisect.status}, first bad ${bisect.firstBad?.sha.slice(0, 7)} "${bisect.firstBad?.subject}", ${bisect.steps.length} steps over ${commits.length} commits`);
  for (const step of bisect.steps) {
    const index = commits.indexOf(step.sha) + 1;
    console.log(`  ${step.sha.slice(0, 7)} (commit ${index}) ${step.outcome}: ${step.detail}`);
    expect(step.outcome, `${step.sha} ${step.detail}`).toBe(index >= culprit ? 'bad' : 'good');
    expect(rules.some((rule) => step.detail?.startsWith(rule)), step.detail).toBe(true);
  }
}

let kv: { run: RunJson; bisect: BisectJson };
let py: { run: RunJson; bisect: BisectJson };
let wallMs = 0;

beforeAll(async () => {
  const started = Date.now();
  stack = await startStack({ matrix, concurrency: 2 });
  [kv, py] = await Promise.all([bisected('kvlib', 'kv-app.sqlite'), bisected('minilib', 'py-app.sqlite')]);
  wallMs = Date.now() - started;
  console.log(`bisect-real-suites: both runs and bisects in ${(wallMs / 1000).toFixed(1)} s`);
});

afterAll(async () => {
  await stack?.close();
});

describe('bisect of failures that exist only when they fail', () => {
  it('mocha: a beforeEach hook that fails is confirmed by a targeted re-run (its tests selected, the failure in the hook counted as run)', () => {
    const hook = 'store::"before each" hook for "puts a value"';
    const cell = kv.run.cells.find((c) => c.id === 'kv-app.sqlite')!;
    expect(cell).toMatchObject({ verdict: 'regression', newFailures: [hook] });
    // The confirming re-run selected the three tests the hook hid, not its id; the candidate failed in
    // the hook again and that counted as run: no fall-back to the whole suite (format's tests absent).
    const store = stack.server.store;
    expect(store.testsOf(kv.run.id, cell.id, 'baseline', 1).map((t) => t.id)).toEqual(['store::forgets a deleted key', 'store::lists keys', 'store::puts a value']);
    const rerun = store.testsOf(kv.run.id, cell.id, 'candidate', 1);
    expect(rerun.map((t) => [t.id.replace(/ for ".*"$/, ''), t.status])).toEqual([['store::"before each" hook', 'failed']]);
  });

  it(`mocha: found, the commit that renamed openStore, in at most ${MAX_STEPS} steps, each good or bad`, () => {
    const commits = commitsBetween(repos.kvlib, 'v1.0.0', 'v1.1.0');
    expect(commits).toHaveLength(COMMITS);
    checkSteps('kv-app.sqlite', kv.bisect, commits, KV_CULPRIT);
    expect(kv.bisect).toMatchObject({ status: 'found', firstBad: { sha: commits[KV_CULPRIT - 1], subject: 'Rename openStore to open' } });
    expect(kv.bisect.steps.length).toBeLessThanOrEqual(MAX_STEPS);
    expect(kv.bisect.steps.filter((s) => s.outcome === 'good').every((s) => s.detail?.startsWith(STEP_RULES.failureOnlyAbsent))).toBe(true);
  });

  it('pytest: a module that stops importing is one collection error, confirmed by re-running the tests it hid', () => {
    const cell = py.run.cells.find((c) => c.id === 'py-app.sqlite')!;
    expect(cell).toMatchObject({ verdict: 'regression', newFailures: ['pytest::tests.test_parse'] });
    const rerun = stack.server.store.testsOf(py.run.id, cell.id, 'candidate', 1);
    expect(rerun).toEqual([expect.objectContaining({ id: 'pytest::tests.test_parse', status: 'failed', message: expect.stringContaining('collection failure') })]);
    expect(stack.server.store.testsOf(py.run.id, cell.id, 'baseline', 1)).toHaveLength(5);
  });

  it(`pytest: found, the commit that renamed tokens, in at most ${MAX_STEPS} steps, each good or bad`, () => {
    const commits = commitsBetween(repos.minilib, 'v1.0.0', 'v1.1.0');
    checkSteps('py-app.sqlite', py.bisect, commits, PY_CULPRIT);
    expect(py.bisect).toMatchObject({ status: 'found', firstBad: { sha: commits[PY_CULPRIT - 1], subject: 'Rename tokens to tokenize' } });
    expect(py.bisect.steps.length).toBeLessThanOrEqual(MAX_STEPS);
    expect(wallMs).toBeGreaterThan(0);
  });
});
