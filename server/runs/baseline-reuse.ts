/**
 * Baseline reuse: a baseline side needs no new run when an earlier run tested the same consumer
 * (repository, ref, commands, env, image, resources), the same baseline artifact by content digest and
 * the same backend and database image within the window. The server finds such a result by key; the
 * worker that takes the side confirms what only its host knows (the consumer's commit, the image ids)
 * before reusing it. Confirming re-runs never reuse: they run both sides anew.
 */
import { createHash } from 'node:crypto';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import type { Backend } from '../../common/types.js';
import type { ReusableSide, Store } from '../store/store.js';

export interface ReuseKeyInput {
  library: string;
  version: string;
  consumer: ResolvedConsumer;
  backend: Backend;
  databaseImage: string;
  artifactDigest: string;
}

/** Everything in the side's inputs the server can see, digested. */
export function baselineReuseKey(input: ReuseKeyInput): string {
  const c = input.consumer;
  const inputs = {
    v: 1,
    library: input.library,
    version: input.version,
    artifact: input.artifactDigest,
    backend: input.backend,
    databaseImage: input.backend === 'sqlite' ? '' : input.databaseImage,
    consumer: {
      name: c.name,
      repo: c.repo,
      ref: c.ref,
      image: c.image,
      install: c.install ?? null,
      installCandidate: c.installCandidate,
      test: c.test,
      // Absent (so the key unchanged) for consumers without it: a baseline read without its schema is never reused for one with it.
      schema: c.schema,
      env: Object.entries(c.env).sort(),
      secretEnv: [...c.secretEnv].sort(),
      timeoutSeconds: c.timeoutSeconds,
      resources: c.resources,
      fixedConnection: c.fixedConnection?.[input.backend as 'mysql' | 'postgres'] ?? null,
      // A preset changes what a side reports (JUnit it writes); absent, the key stays what it was.
      ...(c.runner && c.runner !== 'custom' ? { runner: c.runner } : {}),
    },
  };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}

/** The result a baseline side may reuse, if the window allows one. */
export function findReusableBaseline(store: Store, key: string, windowDays: number, now = Date.now()): ReusableSide | null {
  if (windowDays <= 0) return null;
  return store.reusableSide(key, new Date(now - windowDays * 86_400_000).toISOString());
}
