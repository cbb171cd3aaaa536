import { describe, expect, it } from 'vitest';
import type { CellJob } from '../../common/queue/jobs.js';
import { diskLimitMb, limitReason, sideContainerBase } from './side-container.js';

const resources = { memoryMb: 256, cpus: 0.5, pids: 64, diskMb: 512 };
const none = { oomKilled: false, diskExceeded: false, pidLimitHit: false };

describe('a side container', () => {
  it('names the limit it hit, memory first, with the limit', () => {
    expect(limitReason(none, resources)).toBeUndefined();
    expect(limitReason({ ...none, oomKilled: true, pidLimitHit: true }, resources)).toBe('ran out of memory (limit 256 MB)');
    expect(limitReason({ ...none, diskExceeded: true }, resources)).toBe('filled its disk (limit 512 MB)');
    expect(limitReason({ ...none, pidLimitHit: true }, resources)).toBe('hit the pid limit (64 processes)');
    // The cgroup could not be read, but the suite's output said a fork was refused.
    expect(limitReason(none, resources, true)).toBe('hit the pid limit (64 processes)');
  });

  it('gets the default disk allowance in a plan stored before diskMb existed', () => {
    expect(diskLimitMb({ memoryMb: 256, cpus: 1, pids: 64 })).toBe(10240);
  });

  it('runs as the runner user, within the consumer limits, labelled for the janitor with the step it runs', () => {
    const job = { runId: 'r1', cellId: 'app.sqlite', consumer: { resources } } as unknown as CellJob;
    const base = sideContainerBase(job, { config: { prefix: 'cm' } as never, workerId: 'host-1-abc' }, 'install-step');
    expect(base).toEqual({
      user: '1000:1000',
      limits: resources,
      diskMb: 512,
      labels: { 'compat.kind': 'install-step', 'compat.prefix': 'cm', 'compat.worker': 'host-1-abc', 'compat.run': 'r1', 'compat.cell': 'app.sqlite' },
    });
  });
});
