/**
 * A consumer's `env` for a step shared by several cells. The templating itself is common/cell-env.ts's
 * templateEnv (one rule, one place); re-exported for the worker's callers.
 */
import { templateEnv } from '../../common/cell-env.js';

export { templateEnv };

const TEMPLATE = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

/**
 * Only the entries whose every variable is in `vars`: what a step shared by several cells (an install
 * snapshot, shared by every backend and side) may see. `LEGACY_BACKEND: ${COMPAT_BACKEND}` is left out
 * of an install that has no backend, rather than given an empty value.
 */
export function templateEnvFrom(templates: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  const usable = Object.entries(templates).filter(([, t]) => [...t.matchAll(TEMPLATE)].every((m) => m[1] in vars));
  return templateEnv(Object.fromEntries(usable), vars);
}
