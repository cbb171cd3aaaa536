/**
 * The deployment's network, created once whoever asks first. Workers started together (compose's
 * replicas) ask at the same moment, and Docker 20.10 gives two networks of one name unless told to
 * check, after which every container naming it fails as "ambiguous". The engine's check is not atomic
 * either, so a creator that finds an older twin removes its own: all agree on the oldest.
 */
import type Docker from 'dockerode';
import { isConflict, isNotFound, type ContainerEngine } from '../../common/docker/engine.js';
import { LABEL_KIND } from './spec.js';

/** Orders the engine's RFC 3339 times to the nanosecond (Date keeps milliseconds; the text drops trailing zeros). */
export function compareCreated(a: string, b: string): number {
  const key = (t: string) => [Date.parse(t), Number((/\.(\d+)/.exec(t)?.[1] ?? '').padEnd(9, '0').slice(3, 9))] as const;
  const [x, y] = [key(a), key(b)];
  return x[0] - y[0] || x[1] - y[1];
}

export async function ensureNetwork(engine: ContainerEngine, name: string): Promise<string> {
  const docker = engine as Docker;
  const named = async () =>
    (await docker.listNetworks({ filters: { name: [name] } }))
      .filter((n) => n.Name === name)
      .sort((a, b) => compareCreated(a.Created, b.Created) || a.Id.localeCompare(b.Id));
  let found = await named();
  if (found.length === 0) {
    try {
      await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL_KIND]: 'network' } });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    found = await named();
  }
  // Every caller, not only the creator, removes the younger twins: a creator whose listing did not yet
  // show a concurrent creator's network kept its own, and an earlier run may have left a twin. A twin
  // with a container on it stays until its container goes (removing it would cut that container off).
  for (let settle = 0; found.length > 1 && settle < 10; settle++) {
    for (const twin of found.slice(1)) await removeUnusedNetwork(docker, twin.Id);
    found = await named();
    if (found.length > 1) await new Promise((r) => setTimeout(r, 100 * (settle + 1)));
  }
  const oldest = found[0];
  if (!oldest) throw new Error(`network ${name} could not be created`);
  return oldest.Id;
}

async function removeUnusedNetwork(engine: ContainerEngine, id: string): Promise<void> {
  const docker = engine as Docker;
  try {
    const info = (await docker.getNetwork(id).inspect()) as { Containers?: Record<string, unknown> };
    if (Object.keys(info.Containers ?? {}).length === 0) await docker.getNetwork(id).remove();
  } catch (error) {
    // Gone already (another caller removed it) is what we wanted; a container joined since keeps it.
    if (!isNotFound(error) && !isConflict(error) && !/active endpoints/.test(String(error))) throw error;
  }
}
