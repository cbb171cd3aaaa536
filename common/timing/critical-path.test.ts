import { describe, expect, it } from 'vitest';
import { criticalPath, describeCriticalPath, type SideTiming } from './critical-path.js';

const side = (cellId: string, s: 'candidate' | 'baseline', attempt: number, durationMs: number, testMs: number, reused = false): SideTiming => ({
  cellId,
  side: s,
  attempt,
  durationMs,
  testMs,
  reused,
});

describe('criticalPath', () => {
  it('is the longest build + side chain, with each confirming attempt adding its longer side', () => {
    const p = criticalPath({
      wallMs: 30_000,
      builds: { candidate: 4000, baseline: 2000 },
      sides: [
        // a: one attempt; its candidate chain is 4 + 5 = 9 s.
        side('a', 'candidate', 0, 5000, 3000),
        side('a', 'baseline', 0, 6000, 5000),
        // b: confirmed: max(4 + 3, 2 + 8) = 10, then attempts of 4 s and 6 s: 20 s.
        side('b', 'candidate', 0, 3000, 2000),
        side('b', 'baseline', 0, 8000, 7000),
        side('b', 'candidate', 1, 4000, 1000),
        side('b', 'baseline', 1, 2000, 1000),
        side('b', 'candidate', 2, 1000, 500),
        side('b', 'baseline', 2, 6000, 5000),
      ],
    });
    expect(p).toMatchObject({ criticalMs: 20_000, cellId: 'b', attempts: 3, buildMs: 2000, testMs: 7000 + 1000 + 5000, waitMs: 10_000 });
    expect(p.engineMs).toBe(20_000 - 13_000);
    expect(p.waitedFor).toBe('tests');
  });

  it('counts nothing for a reused baseline (it did not run here) nor for its build', () => {
    const p = criticalPath({
      wallMs: 6000,
      builds: { candidate: 1000, baseline: 9000 },
      sides: [side('a', 'candidate', 0, 2000, 1500), side('a', 'baseline', 0, 50_000, 49_000, true)],
    });
    expect(p.criticalMs).toBe(3000);
    expect(p.waitMs).toBe(3000);
  });

  it('says a run that queued most waited for slots, and one of heavy containers for the engine', () => {
    const sides = [side('a', 'candidate', 0, 10_000, 2000), side('a', 'baseline', 0, 10_000, 2000)];
    expect(criticalPath({ wallMs: 60_000, builds: {}, sides }).waitedFor).toBe('slots');
    expect(criticalPath({ wallMs: 10_500, builds: {}, sides }).waitedFor).toBe('engine');
  });

  it('is empty for a run without sides, and a side still running costs nothing yet', () => {
    expect(criticalPath({ wallMs: 1000, builds: {}, sides: [] })).toMatchObject({ criticalMs: 0, cellId: null, waitMs: 1000, waitedFor: 'slots' });
    const running: SideTiming = { cellId: 'a', side: 'candidate', attempt: 0, durationMs: null, testMs: null, reused: false };
    expect(criticalPath({ wallMs: 1000, builds: { candidate: 400 }, sides: [running] }).criticalMs).toBe(400);
  });

  it('reads as one line', () => {
    const line = describeCriticalPath(criticalPath({ wallMs: 12_000, builds: { candidate: 1000 }, sides: [side('a', 'candidate', 0, 5000, 4000)] }));
    expect(line).toBe('took 12.0s against a critical path of 6.0s (2.00x): a, 1 attempt, build 1.0s; tests 4.0s, engine 2.0s, waiting for slots 6.0s: waited most for slots');
  });
});
