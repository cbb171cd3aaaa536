/**
 * The fixed script a test container runs. The consumer's commands reach it as environment variables and
 * are run with `sh -c "$VAR"`: nothing from matrix.yaml or a tag is ever spliced into a shell line.
 * Markers on stdout tell the worker which phase is running, so it can tell an install failure from a
 * test failure and measure its own overhead up to the test command.
 */
export const PHASE_MARKER = '::compat-matrix:: phase ';
/**
 * Printed by the script itself once the test command has returned. A container that ends without it
 * (and not by our timeout, abort or a limit) was stopped from outside: an engine restart or a
 * `docker kill`, which says nothing about the library.
 */
export const EXIT_MARKER = '::compat-matrix:: exit ';

export type Phase = 'install' | 'install-candidate' | 'migrate' | 'schema' | 'downgrade' | 'schema-again' | 'test';

/** Where the schema step's files are: `ddl.sql` (the `sql:` output) and `read` (the worker has read the schema). */
export const SCHEMA_DIR = '/compat/schema';
/** The phase script's exit when `schema.migrate` fails. */
export const MIGRATE_FAILED_EXIT = 203;
/** Its exit when the round trip's downgrade, or the migrate after it, fails. */
export const ROUND_TRIP_FAILED_EXIT = 204;

export const PHASE_SCRIPT = [
  'set -u',
  `echo "${PHASE_MARKER}install"`,
  'if [ -n "${COMPAT_CMD_INSTALL:-}" ]; then sh -c "$COMPAT_CMD_INSTALL" || exit 201; fi',
  `echo "${PHASE_MARKER}install-candidate"`,
  // Empty when the side starts from a snapshot that holds the candidate: no shell started for nothing.
  'if [ -n "${COMPAT_CMD_INSTALL_CANDIDATE:-}" ]; then sh -c "$COMPAT_CMD_INSTALL_CANDIDATE" || exit 202; fi',
  // With `schema:`, the migrations run, then the script waits while the worker reads the schema they
  // built (it writes `read` once done): the suite must not change the schema before it is read.
  'if [ -n "${COMPAT_CMD_MIGRATE:-}" ]; then',
  `  echo "${PHASE_MARKER}migrate"`,
  `  if [ -n "\${COMPAT_CMD_SQL:-}" ]; then sh -c "$COMPAT_CMD_SQL" > ${SCHEMA_DIR}/ddl.sql || echo "[compat-matrix] the schema sql command failed (exit $?)"; fi`,
  `  sh -c "$COMPAT_CMD_MIGRATE" || exit ${MIGRATE_FAILED_EXIT}`,
  `  echo "${PHASE_MARKER}schema"`,
  `  while [ ! -e ${SCHEMA_DIR}/read ]; do sleep 0.1; done`,
  // The round trip: downgrade, migrate again, and the schema read a second time (`read-again`).
  '  if [ -n "${COMPAT_CMD_DOWNGRADE:-}" ]; then',
  `    echo "${PHASE_MARKER}downgrade"`,
  `    sh -c "$COMPAT_CMD_DOWNGRADE" || exit ${ROUND_TRIP_FAILED_EXIT}`,
  `    sh -c "$COMPAT_CMD_MIGRATE" || exit ${ROUND_TRIP_FAILED_EXIT}`,
  `    echo "${PHASE_MARKER}schema-again"`,
  `    while [ ! -e ${SCHEMA_DIR}/read-again ]; do sleep 0.1; done`,
  '  fi',
  'fi',
  `echo "${PHASE_MARKER}test"`,
  // Without `test:` (a consumer whose schema is its evidence) the side passes once its schema is read.
  'if [ -n "${COMPAT_CMD_TEST:-}" ]; then sh -c "$COMPAT_CMD_TEST"; fi',
  'status=$?',
  `echo "${EXIT_MARKER}$status"`,
  'exit $status',
].join('\n');

/** What shells and runtimes print when a fork is refused (the pids limit), for hosts where the cgroup cannot be read. */
const FORK_REFUSED = /Cannot fork|can't fork|fork: (retry: )?Resource temporarily unavailable|fork failed: resource temporarily unavailable/i;

/** How much of a failed migrate's output its reason keeps (the log has all of it). */
const MIGRATE_OUTPUT_MAX = 1000;

/** Watches output, line by line, for phase markers (a marker may arrive split across chunks). */
export class PhaseTracker {
  phase: Phase | null = null;
  testStartedAt: number | null = null;
  /** When each phase's marker arrived (ms since the epoch). */
  readonly markedAt: Partial<Record<Phase, number>> = {};
  /** The test command's exit status, as the script reported it; null if it never did. */
  exitStatus: number | null = null;
  /** Output said a fork was refused. */
  forkRefused = false;
  /** The last lines the migrate step printed, for the reason of a migrate that failed. */
  migrateOutput = '';
  private partial = '';

  feed(text: string): void {
    if (!this.forkRefused && FORK_REFUSED.test(text)) this.forkRefused = true;
    if (this.phase === 'migrate' || this.phase === 'downgrade') this.migrateOutput = (this.migrateOutput + text).slice(-MIGRATE_OUTPUT_MAX);
    const lines = (this.partial + text).split('\n');
    // Only a bounded piece of an unfinished line is kept: a marker is short.
    this.partial = (lines.pop() ?? '').slice(-256);
    for (const line of lines) {
      if (line.startsWith(EXIT_MARKER)) {
        const status = Number(line.slice(EXIT_MARKER.length).trim());
        if (Number.isInteger(status)) this.exitStatus = status;
        continue;
      }
      if (!line.startsWith(PHASE_MARKER)) continue;
      this.phase = line.slice(PHASE_MARKER.length).trim() as Phase;
      this.markedAt[this.phase] = Date.now();
      if (this.phase === 'test') this.testStartedAt = Date.now();
    }
  }
}
