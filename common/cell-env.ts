/**
 * The environment of a cell side's test container (CONTRACT "What a consumer's test command gets"):
 * the contract's variables, the consumer's `env` templated from them, and the commands the fixed phase
 * script runs. The worker runs the suite with it and the reproduce script prints it, from this one place.
 */
import type { ResolvedConsumer } from './matrix/load.js';
import type { Backend, Side } from './types.js';

/** Where a test container finds its results folder, the artifact and its SQLite file. */
export const CELL_PATHS = { results: '/compat/results', artifact: '/compat/artifact', db: '/compat/db', sqlite: '/compat/db/test.sqlite' } as const;

export const SQLITE_URL = `sqlite://${CELL_PATHS.sqlite}`;

/** `${VAR}` in a consumer's env, from the CONTRACT's variables only (the schema refuses others). */
export function templateEnv(templates: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(templates)) {
    out[name] = template.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_m, v: string) => vars[v] ?? '');
  }
  return out;
}

export interface CellEnvInput {
  databaseUrl: string;
  backend: Backend;
  library: string;
  version: string;
  side: Side;
  /** Which confirming re-run (0 = the first run). */
  attempt: number;
  consumer: Pick<ResolvedConsumer, 'env' | 'install' | 'installCandidate' | 'test' | 'schema'>;
}

/** Everything of a test container's environment but the host's (HOME, CA bundle) and the secrets. */
export function cellEnv(input: CellEnvInput): Record<string, string> {
  const contract: Record<string, string> = {
    DATABASE_URL: input.databaseUrl,
    COMPAT_BACKEND: input.backend,
    COMPAT_LIBRARY: input.library,
    COMPAT_LIBRARY_VERSION: input.version,
    COMPAT_SIDE: input.side,
    COMPAT_RESULTS_DIR: CELL_PATHS.results,
    COMPAT_ARTIFACT_DIR: CELL_PATHS.artifact,
  };
  return {
    ...contract,
    ...templateEnv(input.consumer.env ?? {}, contract),
    // Not in the contract's list: which confirming re-run this is (0 = first), for suites that log it.
    COMPAT_ATTEMPT: String(input.attempt),
    COMPAT_CMD_INSTALL: input.consumer.install ?? '',
    COMPAT_CMD_INSTALL_CANDIDATE: input.consumer.installCandidate,
    COMPAT_CMD_TEST: input.consumer.test ?? '',
    // The schema step (issue 19): without `schema:` the phase script skips it.
    ...(input.consumer.schema ? { COMPAT_CMD_MIGRATE: input.consumer.schema.migrate, COMPAT_CMD_SQL: input.consumer.schema.sql ?? '', COMPAT_CMD_DOWNGRADE: input.consumer.schema.downgrade ?? '' } : {}),
  };
}
