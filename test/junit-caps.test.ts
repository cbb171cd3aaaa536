/**
 * Issue 16 item 5 on the real parts (Docker, Redis, the store, the server): a consumer suite writes a
 * hostile JUnit file (about 4 MB: 900-character suite names, 100k cases, a third of them failing)
 * on the candidate side. The side stores at most its allowance, says what it dropped, the run's JSON
 * (and its event stream and the gate's answer) stays small, and the cell's route pages every new failure.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureLibrary, makeRepo } from './helpers/git-fixtures.js';
import { hostileJUnit } from './helpers/hostile-junit.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

let stack: Stack;

/** The candidate reports the hostile file (and fails); the baseline one passing test. */
const SUITE = `#!/bin/sh
set -u
if [ "$COMPAT_SIDE" = candidate ]; then
  cp hostile.xml "$COMPAT_RESULTS_DIR/junit.xml"
  exit 1
fi
echo '<testsuite name="base"><testcase classname="base" name="ok"/></testsuite>' > "$COMPAT_RESULTS_DIR/junit.xml"
`;

beforeAll(async () => {
  stack = await startStack({
    concurrency: 2,
    matrix: (dir) => {
      const lib = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [
        ['v1.0.0', 'ok'],
        ['v1.1.0', 'ok-too'],
      ]);
      const app = makeRepo(path.join(dir, 'repos', 'app'), [{ tag: 'v1.0.0', files: { 'run-tests.sh': SUITE, 'hostile.xml': hostileJUnit() } }]);
      return writeMatrix(
        dir,
        `version: 1
defaults: { reruns: 0 }
libraries:
  - name: fixlib
    repo: ${lib}
    bisect: false
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 120 }
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: cat "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 300
        resources: { memoryMb: 512, cpus: 1, pids: 64 }
`,
      );
    },
  });
  await stack.startWorker(2);
}, 900_000);

afterAll(async () => {
  await stack?.close();
});

const MB = 1024 * 1024;

async function raw(route: string): Promise<string> {
  const res = await fetch(`${stack.server.url}${route}`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The first event of a run's event stream, as sent. */
async function firstEvent(runId: string): Promise<string> {
  const abort = new AbortController();
  try {
    const res = await fetch(`${stack.server.url}/api/runs/${runId}/events`, { signal: abort.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return text.slice(0, text.indexOf('\n\n'));
  } finally {
    abort.abort();
  }
}

describe('a hostile JUnit file reported for a side', () => {
  it('stores at most a few MB, keeps the run JSON under 1 MB, and the cell route pages every new failure', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const runId: string = created.body.id;
    const run = await stack.waitForRun(runId, 900_000);
    const cell = run.cells[0];
    expect(cell.verdict).toBe('regression');

    // What the side stored: its tests' ids and messages, all of them, from the store.
    const stored = stack.server.store.testsOf(runId, cell.id, 'candidate', 0);
    const storedBytes = Buffer.byteLength(JSON.stringify(stored));
    console.log(`stored candidate tests: ${stored.length}, ${storedBytes} bytes as JSON`);
    expect(storedBytes).toBeLessThan(4 * MB);
    expect(Math.max(...stored.map((t) => t.id.length))).toBeLessThanOrEqual(256);

    // The run's JSON, its event stream and the gate's answer: counts and the first 50 ids.
    const runText = await raw(`/api/runs/${runId}`);
    const eventText = await firstEvent(runId);
    const gateText = await raw(`/api/gate?library=fixlib&version=1.1.0`);
    console.log(`run JSON ${runText.length} bytes, first SSE event ${eventText.length}, gate ${gateText.length}`);
    expect(runText.length).toBeLessThan(1 * MB);
    expect(eventText.length).toBeLessThan(1 * MB);
    expect(gateText.length).toBeLessThan(1 * MB);
    const runJson = JSON.parse(runText);
    const shown = runJson.cells[0];
    expect(shown.newFailures).toHaveLength(50);
    expect(shown.newFailuresTotal).toBe(stored.filter((t) => t.status === 'failed').length);
    // The marker says what the side's JUnit reported and was not kept.
    expect(shown.candidate.dropped).toMatchObject({ tests: 100_000 - stored.length });
    expect(shown.candidate.dropped.failed).toBeGreaterThan(0);
    expect(shown.candidate.dropped.chars).toBeGreaterThan(10 * MB);
    expect(JSON.parse(gateText).regressions[0]).toMatchObject({ cell: cell.id, newFailuresTotal: shown.newFailuresTotal });

    // The full list, paged from the cell's route.
    const paged: string[] = [];
    for (let offset = 0; ; offset += 5000) {
      const page = await stack.api('GET', `/api/runs/${runId}/cells/${cell.id}?offset=${offset}&limit=5000`);
      expect(page.status).toBe(200);
      expect(page.body.page).toMatchObject({ offset, limit: 5000, newFailures: shown.newFailuresTotal });
      paged.push(...page.body.cell.newFailures);
      if (page.body.cell.newFailures.length < 5000) break;
    }
    expect(paged).toEqual(stack.server.store.cellLists(runId, cell.id)!.newFailures);
    expect(paged).toHaveLength(shown.newFailuresTotal);
    expect(paged.slice(0, 50)).toEqual(shown.newFailures);
    const bad = await stack.api('GET', `/api/runs/${runId}/cells/${cell.id}?limit=0`);
    expect(bad.status).toBe(400);
    expect(String(bad.body.error)).toContain('query.limit');
  }, 1_200_000);
});
