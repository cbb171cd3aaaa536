/** A consumer's `env` from matrix.yaml, templated from the CONTRACT's variables. One rule, one place. */

const TEMPLATE = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

/** `${VAR}` in a consumer's env, from the CONTRACT's variables only (the schema refuses others). */
export function templateEnv(templates: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(templates)) {
    out[name] = template.replace(TEMPLATE, (_m, v: string) => vars[v] ?? '');
  }
  return out;
}

/**
 * Only the entries whose every variable is in `vars`: what a step shared by several cells (an install
 * snapshot, shared by every backend and side) may see. `LEGACY_BACKEND: ${COMPAT_BACKEND}` is left out
 * of an install that has no backend, rather than given an empty value.
 */
export function templateEnvFrom(templates: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  const usable = Object.entries(templates).filter(([, t]) => [...t.matchAll(TEMPLATE)].every((m) => m[1] in vars));
  return templateEnv(Object.fromEntries(usable), vars);
}
