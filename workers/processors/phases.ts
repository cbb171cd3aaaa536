/**
 * The fixed script a test container runs. The consumer's commands reach it as environment variables and
 * are run with `sh -c "$VAR"`: nothing from matrix.yaml or a tag is ever spliced into a shell line.
 * Markers on stdout tell the worker which phase is running, so it can tell an install failure from a
 * test failure and measure its own overhead up to the test command.
 */
export const PHASE_MARKER = '::compat-matrix:: phase ';

export type Phase = 'install' | 'install-candidate' | 'test';

export const PHASE_SCRIPT = [
  'set -u',
  `echo "${PHASE_MARKER}install"`,
  'if [ -n "${COMPAT_CMD_INSTALL:-}" ]; then sh -c "$COMPAT_CMD_INSTALL" || exit 201; fi',
  `echo "${PHASE_MARKER}install-candidate"`,
  'sh -c "$COMPAT_CMD_INSTALL_CANDIDATE" || exit 202',
  `echo "${PHASE_MARKER}test"`,
  'exec sh -c "$COMPAT_CMD_TEST"',
].join('\n');

/** Watches output, line by line, for phase markers (a marker may arrive split across chunks). */
export class PhaseTracker {
  phase: Phase | null = null;
  testStartedAt: number | null = null;
  private partial = '';

  feed(text: string): void {
    const lines = (this.partial + text).split('\n');
    // Only a bounded piece of an unfinished line is kept: a marker is short.
    this.partial = (lines.pop() ?? '').slice(-256);
    for (const line of lines) {
      if (!line.startsWith(PHASE_MARKER)) continue;
      this.phase = line.slice(PHASE_MARKER.length).trim() as Phase;
      if (this.phase === 'test') this.testStartedAt = Date.now();
    }
  }
}
