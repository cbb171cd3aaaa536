/**
 * Where a consumer's `secretEnv` values come from on a worker host: only from what the operator set
 * aside for that consumer, never from the worker's own environment (a matrix.yaml naming PATH,
 * COMPAT_REDIS_URL or a cloud credential of the host must get nothing).
 *
 * - `COMPAT_SECRET_<CONSUMER>_<NAME>`: the consumer's name upper-cased, anything but letters and digits
 *   as `_` (`py-inventory` + `API_KEY` -> `COMPAT_SECRET_PY_INVENTORY_API_KEY`);
 * - a JSON file named by `COMPAT_SECRETS_FILE`: `{"py-inventory": {"API_KEY": "..."}}`.
 *
 * The environment wins over the file, so one secret can be rotated without editing it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { secretKey } from '../../common/config.js';

export const CONSUMER_SECRET_PREFIX = 'COMPAT_SECRET_';

/** The worker's port for consumer secrets. */
export interface SecretSource {
  /** The values of `names` set aside for `consumer`; a name without one is left out. */
  forConsumer(consumer: string, names: readonly string[]): Record<string, string>;
}

/** The environment variable that holds `name` for `consumer`. */
export function consumerSecretVariable(consumer: string, name: string): string {
  return `${CONSUMER_SECRET_PREFIX}${secretKey(consumer)}_${name}`;
}

const SecretsFile = z.record(z.string().min(1), z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an upper-case environment variable name'), z.string().min(1)));

function readSecretsFile(file: string): Map<string, Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    // The message names the file, never its content.
    throw new Error(`COMPAT_SECRETS_FILE ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = SecretsFile.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`);
    throw new Error(`COMPAT_SECRETS_FILE ${file}: must be {"<consumer>": {"<NAME>": "<value>"}}; ${problems.join('; ')}`);
  }
  return new Map(Object.entries(result.data));
}

/**
 * The secrets set aside on this host, read once (a bad file fails the worker's start, naming the file).
 * Only `COMPAT_SECRET_*` variables are kept from `env`.
 */
export function loadConsumerSecrets(env: NodeJS.ProcessEnv = process.env): SecretSource {
  const fromFile = env.COMPAT_SECRETS_FILE ? readSecretsFile(env.COMPAT_SECRETS_FILE) : new Map<string, Record<string, string>>();
  const fromEnv = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) if (name.startsWith(CONSUMER_SECRET_PREFIX) && value) fromEnv.set(name, value);
  return {
    forConsumer(consumer, names) {
      const values: Record<string, string> = {};
      const own = fromFile.get(consumer);
      for (const name of names) {
        const value = fromEnv.get(consumerSecretVariable(consumer, name)) ?? (own && Object.hasOwn(own, name) ? own[name] : undefined);
        if (value) values[name] = value;
      }
      return values;
    },
  };
}
