/**
 * Where a consumer's `secretEnv` value is looked up on a worker host, as one rule shared by the worker
 * (which reads it) and matrix.yaml's validation (which refuses two requests that would read one value).
 *
 * Consumer names are unique only within a library, and secretKey folds case and punctuation, so the
 * variable names both the library and the consumer, with `__` between the parts:
 * `COMPAT_SECRET_<LIBRARY>__<CONSUMER>__<NAME>` (`quarry` + `py-inventory` + `API_KEY` ->
 * `COMPAT_SECRET_QUARRY__PY_INVENTORY__API_KEY`). That folding can still make two requests one variable
 * (`py-x` and `py.x`, or a name with `__` in it): the matrix is refused then (common/matrix/schema.ts).
 * The secrets file is keyed by the exact names: `{"<library>": {"<consumer>": {"<NAME>": "..."}}}`.
 */
import { secretKey } from '../config.js';

export const CONSUMER_SECRET_PREFIX = 'COMPAT_SECRET_';

/** The environment variable that holds `name` for `consumer` of `library`. */
export function consumerSecretVariable(library: string, consumer: string, name: string): string {
  return `${CONSUMER_SECRET_PREFIX}${secretKey(library)}__${secretKey(consumer)}__${name}`;
}
