/**
 * A side whose worker died is taken by another worker (BullMQ hands the stalled job on): the side is
 * shown on the worker that ran it to its end, whatever order its messages are applied in. Real Redis,
 * the real results queue and the server's store; the worker messages are sent as a worker sends them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createQueues, type Queues } from '../common/queue/bullmq.js';
import type { ResultMessage } from '../common/queue/jobs.js';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { until } from './helpers/processes.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

let stack: Stack;
let queues: Queues;

beforeAll(async () => {
  stack = await startStack({
    worker: false,
    matrix: (dir) =>
      writeMatrix(
        dir,
        `version: 1
libraries:
  - name: fixlib
    repo: ${fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [['v1.0.0', 'ok'], ['v1.1.0', 'ok']])}
    build: { image: compat-runner:bookworm, command: sh build.sh }
    consumers:
      - name: app
        repo: ${fixtureConsumer(path.join(dir, 'repos', 'app'))}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: 'true'
        test: sh run-tests.sh
        backends: [sqlite]
`,
      ),
  });
  queues = createQueues(stack.config);
});

afterAll(async () => {
  await queues?.close();
  await stack?.close();
});

describe('a side handed to another worker', () => {
  it('is shown on the worker that ended it, even when the second start is applied after the end', async () => {
    const created = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const runId: string = created.body.id;
    const side = { runId, cellId: 'app.sqlite', side: 'candidate', attempt: 0 } as const;
    const placement = () => stack.server.store.sidePlacements(runId).find((s) => s.cellId === side.cellId && s.side === side.side && s.attempt === side.attempt);
    const send = (message: ResultMessage) => queues.sendResult(message);

    await send({ kind: 'side-started', ...side, worker: 'host-a-1-aaaaaa' });
    await until('the first start to be applied', () => placement()?.worker === 'host-a-1-aaaaaa', 30_000, 100);

    // Host a died; host b took the job again and announces it.
    await send({ kind: 'side-started', ...side, worker: 'host-b-2-bbbbbb' });
    await until('the second start to be applied', () => placement()?.worker === 'host-b-2-bbbbbb', 30_000, 100);

    await send({ kind: 'side-done', ...side, worker: 'host-b-2-bbbbbb', result: { status: 'passed', durationMs: 10, overheadMs: 1, tests: [] } });
    await until('the end to be applied', () => placement()?.status === 'passed', 30_000, 100);
    expect(placement()?.worker).toBe('host-b-2-bbbbbb');

    // The results queue applies messages several at once: an end applied before its start still names its worker.
    const other = { ...side, side: 'baseline' } as const;
    const baseline = () => stack.server.store.sidePlacements(runId).find((s) => s.side === 'baseline' && s.attempt === 0);
    await send({ kind: 'side-started', ...other, worker: 'host-a-1-aaaaaa' });
    await until('the baseline start to be applied', () => baseline()?.worker === 'host-a-1-aaaaaa', 30_000, 100);
    await send({ kind: 'side-done', ...other, worker: 'host-b-2-bbbbbb', result: { status: 'passed', durationMs: 10, overheadMs: 1, tests: [] } });
    await send({ kind: 'side-started', ...other, worker: 'host-b-2-bbbbbb' });
    await until('the baseline end to be applied', () => baseline()?.status === 'passed', 30_000, 100);
    await until('both baseline messages to be applied', async () => Object.values(await queues.jobCounts('results', ['wait', 'active', 'delayed', 'prioritized'])).every((n) => n === 0), 30_000, 100);
    expect(baseline()?.worker).toBe('host-b-2-bbbbbb');
    expect(baseline()?.status).toBe('passed');
  });
});
