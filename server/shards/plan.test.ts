import { describe, expect, it } from 'vitest';
import { mergeShards, planShards } from './plan.js';

describe('planShards', () => {
  it('balances files by their measured durations, heaviest first', () => {
    const files = [
      { file: 'a.py', ms: 70 },
      { file: 'b.py', ms: 40 },
      { file: 'c.py', ms: 30 },
      { file: 'd.py', ms: 20 },
      { file: 'e.py', ms: 20 },
    ];
    const shards = planShards(files, 2)!;
    expect(shards.map((s) => s.ms).sort()).toEqual([90, 90]);
    expect(shards.flatMap((s) => s.files).sort()).toEqual(files.map((f) => f.file));
    // The same input, the same plan.
    expect(planShards([...files].reverse(), 2)).toEqual(shards);
  });

  it('runs a never-measured suite whole, and deals unmeasured files evenly', () => {
    expect(planShards([{ file: 'a.py', ms: null }], 2)).toBeNull();
    const shards = planShards([{ file: 'a.py', ms: 10 }, { file: 'n1.py', ms: null }, { file: 'n2.py', ms: null }], 2)!;
    expect(shards.map((s) => s.files)).toEqual([['a.py', 'n2.py'], ['n1.py']]);
  });

  it('never makes more shards than files, nor an empty one', () => {
    expect(planShards([{ file: 'a.py', ms: 5 }], 4)).toEqual([{ files: ['a.py'], ms: 5 }]);
  });
});

describe('mergeShards', () => {
  it('is the union of the shards, the longest duration, and failed when any shard failed', () => {
    const merged = mergeShards([
      { status: 'passed', durationMs: 300, tests: [{ id: 'a', status: 'passed' }] },
      { status: 'failed', durationMs: 500, tests: [{ id: 'b', status: 'failed' }, { id: 'a', status: 'failed' }] },
    ]);
    expect(merged).toEqual({ status: 'failed', durationMs: 500, tests: [{ id: 'a', status: 'failed' }, { id: 'b', status: 'failed' }] });
    expect(mergeShards([{ status: 'passed', durationMs: 1, tests: [] }, { status: 'error', durationMs: 2, tests: [] }]).status).toBe('error');
  });
});
