import { describe, expect, it } from 'vitest';
import { defaultConcurrency, HOST_RESERVED_MB, lanesFor, parseBackends } from './placement.js';

describe('--backends', () => {
  it('takes a comma-separated list of known backends', () => {
    expect(parseBackends('sqlite, postgres')).toEqual(['sqlite', 'postgres']);
    expect(parseBackends('mysql,mysql')).toEqual(['mysql']);
  });

  it('refuses an unknown or empty list, naming the option and the value', () => {
    expect(() => parseBackends('sqlite,oracle')).toThrow('--backends: "oracle" is not one of sqlite, mysql, postgres');
    expect(() => parseBackends(' , ')).toThrow(/--backends: give one or more/);
  });

  it('every worker builds; cells only from its backends', () => {
    expect(lanesFor(['postgres'])).toEqual(['build', 'postgres']);
  });
});

describe('default concurrency', () => {
  const cells = [
    { backends: ['sqlite' as const], cpus: 0.5, memoryMb: 512 },
    { backends: ['mysql' as const, 'postgres' as const], cpus: 2, memoryMb: 4096 },
  ];

  it('is bounded by CPUs for the largest cell the host may run', () => {
    expect(defaultConcurrency({ cpus: 8, memoryMb: 64_000 }, cells, ['sqlite', 'mysql', 'postgres']).concurrency).toBe(4);
    // Without mysql and postgres, only the small sqlite cells count.
    expect(defaultConcurrency({ cpus: 8, memoryMb: 64_000 }, cells, ['sqlite']).concurrency).toBe(16);
  });

  it('is bounded by memory, less what the host keeps for itself', () => {
    const choice = defaultConcurrency({ cpus: 64, memoryMb: HOST_RESERVED_MB + 3 * 4096 + 100 }, cells, ['postgres']);
    expect(choice).toEqual({ concurrency: 3, why: expect.stringContaining('MB per cell') });
  });

  it('is at least one, and uses the default limits when no matrix was seen', () => {
    expect(defaultConcurrency({ cpus: 1, memoryMb: 512 }, cells, ['mysql']).concurrency).toBe(1);
    expect(defaultConcurrency({ cpus: 4, memoryMb: 64_000 }, [], ['sqlite'])).toEqual({ concurrency: 4, why: expect.stringContaining('default limits') });
  });
});
