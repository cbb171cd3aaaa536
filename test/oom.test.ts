/**
 * The OOM killer is named even when the engine's state does not say so: the state's `OOMKilled` is set
 * only when the engine hears of the OOM before the exit, which a loaded host can reverse, so a container
 * killed by SIGKILL (not by us) is looked up in the engine's `oom` events. Real engine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createDocker } from '../common/docker/engine.js';
import { logger } from '../common/logger.js';
import { oomRecorded, removeContainer, runContainer } from '../workers/container/docker.js';
import { ContainerRemovals } from '../workers/container/removal.js';

const docker = createDocker();
const made: string[] = [];
afterAll(async () => {
  for (const id of made) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
});

async function killedContainer(script: string): Promise<{ id: string; since: number }> {
  const c = await docker.createContainer({ Image: 'compat-runner:bookworm', Cmd: ['sh', '-c', script], HostConfig: { Init: true, Memory: 96 << 20, MemorySwap: 96 << 20, LogConfig: { Type: 'none', Config: {} } } });
  made.push(c.id);
  const since = Date.now();
  await c.start();
  expect((await c.wait()).StatusCode).toBe(137);
  return { id: c.id, since };
}

const MEMHOG = `python3 -c 'a = []\nwhile True: a.append(b"x" * (8 << 20))'`;

describe('an OOM', () => {
  it('is found in the engine events of the container the kernel killed, and only there', async () => {
    const oom = await killedContainer(MEMHOG);
    expect(await oomRecorded(docker, oom.id, oom.since, 2000)).toBe(true);
    // A suite that SIGKILLs itself exits the same way, with no OOM to find.
    const selfKilled = await killedContainer('kill -9 $$');
    expect(await oomRecorded(docker, selfKilled.id, selfKilled.since, 500)).toBe(false);
  });

  it('is named in the outcome of a container run', async () => {
    const outcome = await runContainer(docker, {
      image: 'compat-runner:bookworm',
      cmd: ['sh', '-c', MEMHOG],
      env: {},
      binds: [],
      networkMode: 'none',
      limits: { memoryMb: 96, cpus: 0.5, pids: 64 },
      timeoutMs: 60_000,
      labels: { 'compat.kind': 'oom-test' },
      onOutput: () => undefined,
    }, new ContainerRemovals({ remove: (id) => removeContainer(docker, id), log: logger }));
    expect(outcome).toMatchObject({ exitCode: 137, oomKilled: true, timedOut: false });
  });
});
