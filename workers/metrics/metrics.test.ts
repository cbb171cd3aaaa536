import { describe, expect, it } from 'vitest';
import { isEngineError, phasesOf } from './metrics.js';

describe('phasesOf', () => {
  const base = { status: 'passed' as const, durationMs: 10_000, overheadMs: 4_000, tests: [] };

  it('takes the phase names the side result carries', () => {
    expect(phasesOf({ ...base, phases: { checkout: 100, install: 3000, test: 6000 } })).toEqual({ checkout: 100, install: 3000, test: 6000 });
  });

  it('without them, splits the side at the test command', () => {
    expect(phasesOf(base)).toEqual({ setup: 4000, test: 6000 });
    expect(phasesOf({ ...base, status: 'error', overheadMs: null })).toEqual({});
  });
});

describe('isEngineError', () => {
  it('tells engine failures from everything else', () => {
    expect(isEngineError(Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isEngineError(Object.assign(new Error('server error'), { statusCode: 500 }))).toBe(true);
    expect(isEngineError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'EPIPE' }) }))).toBe(true);
    expect(isEngineError(Object.assign(new Error('no such container'), { statusCode: 404 }))).toBe(false);
    expect(isEngineError(new Error('install step failed (exit 1)'))).toBe(false);
  });
});
