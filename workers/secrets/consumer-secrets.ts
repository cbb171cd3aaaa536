/**
 * Where a consumer's `secretEnv` values come from on a worker host: only from what the operator set
 * aside for that consumer of that library, never from the worker's own environment (a matrix.yaml
 * naming PATH, COMPAT_REDIS_URL or a cloud credential of the host must get nothing).
 *
 * - `COMPAT_SECRET_<LIBRARY>__<CONSUMER>__<NAME>` (common/secrets/consumer-secret-names.ts):
 *   `quarry` + `py-inventory` + `API_KEY` -> `COMPAT_SECRET_QUARRY__PY_INVENTORY__API_KEY`;
 * - a JSON file named by `COMPAT_SECRETS_FILE`, keyed by the exact names:
 *   `{"quarry": {"py-inventory": {"API_KEY": "..."}}}`.
 *
 * The environment wins over the file, so one secret can be rotated without editing it. Consumer names
 * are unique only within a library: both names are in every key, so `py` asking for INVENTORY_API_KEY
 * and `py.inventory` asking for API_KEY never read one value (matrix.yaml refuses what still would).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CONSUMER_SECRET_PREFIX, consumerSecretVariable } from '../../common/secrets/consumer-secret-names.js';

export { CONSUMER_SECRET_PREFIX, consumerSecretVariable };

/** The worker's port for consumer secrets. */
export interface SecretSource {
  /** The values of `names` set aside for `consumer` of `library`; a name without one is left out. */
  forConsumer(library: string, consumer: string, names: readonly string[]): Record<string, string>;
  /**
   * `COMPAT_SECRET_*` variables of the worker's environment that are not in the library/consumer form
   * (the form before it, `COMPAT_SECRET_<CONSUMER>_<NAME>`, is one): never read, named at start.
   */
  unreadVariables: string[];
}

const Values = z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an upper-case environment variable name'), z.string().min(1));
const SecretsFile = z.record(z.string().min(1), z.record(z.string().min(1), Values));
type SecretsFile = z.infer<typeof SecretsFile>;

function readSecretsFile(file: string): SecretsFile {
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
    throw new Error(`COMPAT_SECRETS_FILE ${file}: must be {"<library>": {"<consumer>": {"<NAME>": "<value>"}}}; ${problems.join('; ')}`);
  }
  return result.data;
}

const own = <T>(record: Record<string, T> | undefined, key: string): T | undefined => (record && Object.hasOwn(record, key) ? record[key] : undefined);

/**
 * The secrets set aside on this host, read once (a bad file fails the worker's start, naming the file).
 * Only `COMPAT_SECRET_*` variables are kept from `env`.
 */
export function loadConsumerSecrets(env: NodeJS.ProcessEnv = process.env): SecretSource {
  const fromFile = env.COMPAT_SECRETS_FILE ? readSecretsFile(env.COMPAT_SECRETS_FILE) : {};
  const fromEnv = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) if (name.startsWith(CONSUMER_SECRET_PREFIX) && value) fromEnv.set(name, value);
  const wellFormed = /^COMPAT_SECRET_[A-Z0-9_]+__[A-Z0-9_]+__[A-Z_][A-Z0-9_]*$/;
  return {
    unreadVariables: [...fromEnv.keys()].filter((name) => !wellFormed.test(name)).sort(),
    forConsumer(library, consumer, names) {
      const values: Record<string, string> = {};
      const set = own(own(fromFile, library), consumer);
      for (const name of names) {
        const value = fromEnv.get(consumerSecretVariable(library, consumer, name)) ?? own(set, name);
        if (value) values[name] = value;
      }
      return values;
    },
  };
}
