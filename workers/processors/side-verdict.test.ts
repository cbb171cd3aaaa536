import { describe, expect, it } from 'vitest';
import { sideVerdict, type SideHappened } from './side-verdict.js';

const resources = { memoryMb: 512, cpus: 1, pids: 64, diskMb: 100 };

/** A suite that ran to its end and passed; each case changes what it is about. */
function happened(change: { outcome?: Partial<SideHappened['outcome']>; script?: Partial<SideHappened['script']> } & Partial<Omit<SideHappened, 'outcome' | 'script'>> = {}): SideHappened {
  return {
    tests: [{ status: 'passed' }],
    problems: [],
    consumer: { resources, timeoutSeconds: 60 },
    side: 'candidate',
    ...change,
    outcome: { exitCode: 0, oomKilled: false, timedOut: false, aborted: false, diskExceeded: false, pidLimitHit: false, ...change.outcome },
    script: { phase: 'test', exitStatus: 0, forkRefused: false, ...change.script },
  };
}

describe('sideVerdict', () => {
  it('a suite that exits 0 with no failed test passed; problems reading JUnit go to the log first', () => {
    expect(sideVerdict(happened({ problems: ['bad.xml: not JUnit'] }))).toEqual({ kind: 'result', status: 'passed', notes: ['[compat-matrix] bad.xml: not JUnit\n'] });
  });

  it('a failed test or a non-zero exit fails the side, saying which', () => {
    expect(sideVerdict(happened({ tests: [{ status: 'passed' }, { status: 'failed' }] }))).toMatchObject({ kind: 'result', status: 'failed', reason: 'JUnit reports failed tests' });
    expect(sideVerdict(happened({ outcome: { exitCode: 1 }, script: { exitStatus: 1 } }))).toMatchObject({ kind: 'result', status: 'failed', reason: 'test command exited with 1' });
  });

  it('a limit hit names the limit as the reason', () => {
    expect(sideVerdict(happened({ outcome: { exitCode: 137, oomKilled: true }, script: { exitStatus: null } }))).toMatchObject({ status: 'failed', reason: 'ran out of memory (limit 512 MB)' });
    expect(sideVerdict(happened({ outcome: { exitCode: 137, diskExceeded: true }, script: { exitStatus: null } }))).toEqual({
      kind: 'result',
      status: 'failed',
      reason: 'filled its disk (limit 100 MB)',
      notes: ['\n[compat-matrix] killed: filled its disk (limit 100 MB)\n'],
    });
    expect(sideVerdict(happened({ outcome: { exitCode: 1 }, script: { exitStatus: 1, forkRefused: true } }))).toMatchObject({ status: 'failed', reason: 'hit the pid limit (64 processes)' });
  });

  it('a timeout, with the pid limit when it was hit too', () => {
    expect(sideVerdict(happened({ outcome: { exitCode: 137, timedOut: true }, script: { exitStatus: null } }))).toEqual({
      kind: 'result',
      status: 'timeout',
      reason: 'timed out after 60 s',
      notes: ['\n[compat-matrix] killed after the 60 s timeout\n'],
    });
    expect(sideVerdict(happened({ outcome: { exitCode: 137, timedOut: true, pidLimitHit: true } }))).toMatchObject({ status: 'timeout', reason: 'timed out after 60 s; hit the pid limit (64 processes)' });
  });

  it('an abort is retried, before anything is logged', () => {
    expect(sideVerdict(happened({ outcome: { aborted: true, exitCode: 137 }, problems: ['x'] }))).toEqual({ kind: 'retry', message: 'cell aborted (worker shutting down)', notes: [] });
  });

  it('a container stopped from outside before the script reported is retried; the script\'s own exits are not', () => {
    expect(sideVerdict(happened({ outcome: { exitCode: 137 }, script: { exitStatus: null } }))).toMatchObject({ kind: 'retry', message: expect.stringContaining('stopped from outside (exit 137)') });
    // The test command's own status of 137, reported after the exit marker: a test failure.
    expect(sideVerdict(happened({ outcome: { exitCode: 137 }, script: { exitStatus: 137 } }))).toMatchObject({ kind: 'result', status: 'failed', reason: 'test command exited with 137' });
    expect(sideVerdict(happened({ outcome: { exitCode: 202 }, script: { phase: 'install-candidate', exitStatus: null } }))).toMatchObject({ kind: 'result', status: 'failed' });
  });

  it('the consumer\'s install failing is retried; the candidate\'s install failing fails the side', () => {
    expect(sideVerdict(happened({ outcome: { exitCode: 201 }, script: { phase: 'install', exitStatus: null } }))).toMatchObject({ kind: 'retry', message: 'install step failed (exit 201)' });
    expect(sideVerdict(happened({ outcome: { exitCode: 137, oomKilled: true }, script: { phase: 'install', exitStatus: null } }))).toMatchObject({
      kind: 'retry',
      message: 'install step failed (exit 137): ran out of memory (limit 512 MB)',
    });
    // No phase marker at all: the script never started its first step.
    expect(sideVerdict(happened({ outcome: { exitCode: 1 }, script: { phase: null, exitStatus: null } }))).toMatchObject({ kind: 'retry', message: 'install step failed (exit 1)' });
    expect(sideVerdict(happened({ outcome: { exitCode: 202 }, script: { phase: 'install-candidate', exitStatus: null }, side: 'baseline' }))).toEqual({
      kind: 'result',
      status: 'failed',
      reason: 'installing the baseline artifact failed (exit 202)',
      notes: [],
    });
  });
});

describe('sideVerdict of the schema step', () => {
  it('a migrate that failed fails the side, with what it printed', () => {
    const v = sideVerdict(happened({ outcome: { exitCode: 203 }, script: { phase: 'migrate', exitStatus: null, migrateOutput: 'Traceback\nUniqueViolation\n' } }));
    expect(v).toMatchObject({ kind: 'result', status: 'failed', reason: 'migrate failed (exit 203): Traceback\nUniqueViolation' });
  });

  it('a side without tests passes once its schema is read', () => {
    expect(sideVerdict(happened({ tests: [] }))).toMatchObject({ kind: 'result', status: 'passed' });
  });
});
