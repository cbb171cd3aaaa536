/** Test and bench deployments each keep their Redis keys under a prefix of their own. */
import type { Redis } from 'ioredis';

/** Deletes every key under `prefix:` (a finished test stack's queues, logs, registries). */
export async function deletePrefixedKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
