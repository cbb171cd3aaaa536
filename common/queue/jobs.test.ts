import { describe, expect, it } from 'vitest';
import { checkMessage, MessageShapeError, ResultMessage, WorkJob } from './jobs.js';

const consumer = {
  name: 'app',
  repo: '/repos/app',
  ref: 'main',
  image: 'compat-runner:bookworm',
  installCandidate: 'npm i $COMPAT_ARTIFACT_DIR/*.tgz',
  test: 'npm test',
  backends: ['sqlite'],
  env: {},
  secretEnv: [],
  timeoutSeconds: 600,
  resources: { memoryMb: 1024, cpus: 1, pids: 512, diskMb: 10240 },
};
const cellJob = {
  kind: 'cell',
  runId: 'r1',
  cellId: 'app.sqlite',
  side: 'candidate',
  attempt: 0,
  library: 'lib',
  version: '1.1.0',
  artifactKey: 'artifact:r1:candidate',
  backend: 'sqlite',
  consumer,
  databaseImage: '',
};

describe('the job catalogue checked at the queue edge', () => {
  it('takes a cell job as the orchestrator sends it, and drops fields the catalogue does not name', () => {
    const job = checkMessage(WorkJob, { ...cellJob, extra: 1 }, 'work job j1');
    expect(job).toMatchObject({ kind: 'cell', cellId: 'app.sqlite' });
    expect(job).not.toHaveProperty('extra');
  });

  it('refuses a job of the wrong shape, naming the job and the field', () => {
    const noTest: Partial<typeof consumer> = { ...consumer };
    delete noTest.test;
    expect(() => checkMessage(WorkJob, { ...cellJob, consumer: noTest }, 'work job j1')).toThrow(MessageShapeError);
    expect(() => checkMessage(WorkJob, { ...cellJob, consumer: noTest }, 'work job j1')).toThrow(/^work job j1\.consumer\.test: /);
    expect(() => checkMessage(WorkJob, { ...cellJob, kind: 'dance' }, 'work job j2')).toThrow(/^work job j2\.kind: /);
    expect(() => checkMessage(WorkJob, { ...cellJob, backend: 'oracle' }, 'work job j3')).toThrow(/^work job j3\.backend: /);
  });

  it('refuses a result whose side status or tests are not the catalogue\'s', () => {
    const done = {
      kind: 'side-done',
      runId: 'r1',
      cellId: 'app.sqlite',
      side: 'baseline',
      attempt: 0,
      result: { status: 'passed', durationMs: 10, overheadMs: null, tests: [{ id: 't', status: 'passed' }] },
    };
    expect(checkMessage(ResultMessage, done, 'result x')).toMatchObject({ kind: 'side-done' });
    expect(() => checkMessage(ResultMessage, { ...done, result: { ...done.result, status: 'great' } }, 'result x')).toThrow(/^result x\.result\.status: /);
    expect(() => checkMessage(ResultMessage, { ...done, result: { ...done.result, tests: [{ id: 't', status: 'meh' }] } }, 'result x')).toThrow(/^result x\.result\.tests\.0\.status: /);
  });
});
