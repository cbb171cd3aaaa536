/**
 * The real case of examples/real, end to end on real parts: SQLAlchemy built from its rel_1_4_36 and
 * rel_1_4_35 tags into wheels, SQLModel 0.0.6's own suite run as it is in an image built from its
 * Dockerfile (Debian's pydantic, FastAPI and friends; built once, then reused by its context digest).
 * SQLAlchemy 1.4.36 broke SQLModel's relationships: the run must say so, test by test, and nothing else.
 * Slow the first time (the image's apt install); a few minutes after.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../common/config.js';
import { renderRun } from '../cli/table.js';
import { materializeExamples } from '../examples/materialize.js';
import { startStack, type Stack } from './helpers/stack.js';

let stack: Stack;
let runId: string | undefined;

beforeAll(async () => {
  await materializeExamples(path.join(REPO_ROOT, 'examples', '.repos'));
  // Both sides of both confirming re-runs at once: the suite is single-threaded, the wait is not.
  stack = await startStack({ matrix: () => path.join(REPO_ROOT, 'matrix.yaml'), concurrency: 4 });
});

afterAll(async () => {
  await stack?.close();
});

describe('the real example: SQLAlchemy 1.4.36 against SQLModel 0.0.6', () => {
  it('flags the relationship tests as a regression against rel_1_4_35, and nothing else', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'sqlalchemy', candidate: 'rel_1_4_36' });
    expect(created.status).toBe(201);
    expect(created.body.run).toMatchObject({ baseline: 'rel_1_4_35', baselineVersion: '1.4.35', candidateVersion: '1.4.36' });
    runId = created.body.id;
    const run = await stack.waitForRun(created.body.id, 75 * 60_000);
    const table = renderRun(run);
    console.log(table);

    expect(run.verdict).toBe('blocked');
    expect(run.cells).toHaveLength(1);
    const cell = run.cells[0];
    expect(cell).toMatchObject({ consumer: 'sqlmodel', backend: 'sqlite', verdict: 'regression' });
    // The suite really ran on both sides: hundreds of tests passed on the baseline.
    expect(cell.baseline.tests.passed).toBeGreaterThan(50);
    expect(cell.newFailures.length).toBeGreaterThan(0);
    const detail = await stack.api('GET', `/api/runs/${run.id}/cells/${cell.id}`);
    type Outcome = { id: string; status: string; message?: string };
    const candidate = new Map<string, Outcome>(detail.body.tests.candidate.map((t: Outcome) => [t.id, t]));
    const baseline = new Map<string, Outcome>(detail.body.tests.baseline.map((t: Outcome) => [t.id, t]));
    // Each newly failing test passed on rel_1_4_35 and is one of SQLModel's relationship tutorials
    // (relationship attributes, many-to-many links, the code-structure tutorial's Hero.team).
    for (const id of cell.newFailures) {
      expect(baseline.get(id)?.status, id).toBe('passed');
      expect(id).toMatch(/^tests\.test_tutorial\.(test_relationship_attributes|test_many_to_many|test_code_structure)\./);
    }
    // They fail the way SQLModel's users saw it: the relationship attributes are not there.
    const missingAttribute = /AttributeError: '(Hero|Team)' object has no attribute '(team|teams|heroes)'/;
    const attributeErrors = cell.newFailures.filter((id) => missingAttribute.test(candidate.get(id)?.message ?? ''));
    expect(attributeErrors.filter((id) => id.includes('test_relationship_attributes')).length).toBeGreaterThan(0);
    expect(attributeErrors.length).toBeGreaterThanOrEqual(cell.newFailures.length / 2);
    // Every test that failed on the candidate and not on the baseline is named: nothing else broke.
    const candidateOnly = [...candidate.values()].filter((t) => t.status === 'failed' && baseline.get(t.id)?.status !== 'failed');
    expect(candidateOnly.map((t) => t.id).sort()).toEqual(cell.newFailures);
    expect(table).toMatch(/time to verdict: \d+/);
  }, 80 * 60_000);

  // Issue 22: a real suite's bisect over SQLAlchemy's 26 first-parent commits names one first bad commit,
  // every step good or bad (SQLModel's failing tests exist on both sides, so no step is a skip).
  it('bisects the regression to one commit of rel_1_4_36, in at most ceil(log2 27) + 2 steps', async () => {
    expect(runId).toBeTruthy();
    const deadline = Date.now() + 40 * 60_000;
    let bisect;
    for (;;) {
      bisect = stack.server.store.getRun(runId!)?.cells[0]?.bisect;
      if (bisect && bisect.status !== 'running') break;
      if (Date.now() > deadline) throw new Error(`bisect not done: ${JSON.stringify(bisect)}`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
    const steps = bisect.steps.map((s) => `${s.sha.slice(0, 7)} ${s.outcome}${s.purpose && s.purpose !== 'search' ? ` (${s.purpose})` : ''}`);
    console.log(`bisect ${bisect.cellId}: ${bisect.status}, first bad ${bisect.firstBad?.sha.slice(0, 7)} "${bisect.firstBad?.subject}", ${bisect.steps.length} steps over ${bisect.commits} commits: ${steps.join(', ')}`);
    expect(bisect.status).toBe('found');
    expect(bisect.steps.filter((s) => s.purpose !== 'confirm').length).toBeLessThanOrEqual(Math.ceil(Math.log2(bisect.commits + 1)) + 2);
    expect(bisect.steps.every((s) => s.outcome === 'good' || s.outcome === 'bad')).toBe(true);
  }, 45 * 60_000);
});
