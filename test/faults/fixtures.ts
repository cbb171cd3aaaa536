/**
 * Small fixtures for the fault suite: a library whose releases all behave the same (both sides of every
 * cell really pass unless a suite misbehaves on purpose), and one consumer repository holding a suite
 * per misbehaviour, each a few lines of sh that write JUnit.
 */
import path from 'node:path';
import type { RunJson } from '../../common/types.js';
import { isFinished } from '../../common/verdict.js';
import { fixtureLibrary, makeRepo } from '../helpers/git-fixtures.js';
import { writeMatrix } from '../helpers/stack.js';

/** Sourced by every suite: `pass NAME` writes a JUnit file with one passing test. */
const LIB_SH = `
pass() {
  printf '<?xml version="1.0"?>\\n<testsuite name="%s"><testcase classname="%s" name="works" time="0.01"/></testsuite>\\n' "$1" "$1" > "$COMPAT_RESULTS_DIR/junit.xml"
}
echo "suite $0 on $COMPAT_SIDE attempt=$COMPAT_ATTEMPT db=\${DATABASE_URL##*@}"
`;

export const SUITES: Record<string, string> = {
  'good.sh': `. ./lib.sh\npass good\n`,
  // Long enough to be caught running: kill it, restart things around it.
  'slow.sh': `. ./lib.sh\necho started\nsleep "\${SLOW_SECONDS:-10}"\npass slow\necho finished\n`,
};

export interface FaultConsumer {
  name: string;
  /** A file of SUITES (or of `extraSuites`). */
  suite: string;
  backends?: string[];
  timeoutSeconds?: number;
  /** YAML flow map, e.g. `{ memoryMb: 64, pids: 32 }`. */
  resources?: string;
  /** More YAML lines for the consumer, indented to its level. */
  extra?: string[];
}

/** A matrix with library `lib` (v1.0.0 and v1.1.0, both fine) and the given consumers. */
export function faultMatrix(
  dir: string,
  consumers: FaultConsumer[],
  options: { reruns?: number; extraSuites?: Record<string, string>; extraTags?: string[] } = {},
): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'lib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'ok'],
    ...(options.extraTags ?? []).map((tag): [string, string] => [tag, 'ok']),
  ]);
  const suites = makeRepo(path.join(dir, 'repos', 'suites'), [{ tag: 'v1', files: { 'lib.sh': LIB_SH, ...SUITES, ...options.extraSuites } }]);
  const entries = consumers.map((c) =>
    [
      `      - name: ${c.name}`,
      `        repo: ${suites}`,
      `        ref: v1`,
      `        image: compat-runner:bookworm`,
      `        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"`,
      `        test: sh ${c.suite}`,
      `        backends: [${(c.backends ?? ['sqlite']).join(', ')}]`,
      `        timeoutSeconds: ${c.timeoutSeconds ?? 60}`,
      `        resources: ${c.resources ?? '{ memoryMb: 256, cpus: 0.5, pids: 64 }'}`,
      ...(c.extra ?? []),
    ].join('\n'),
  );
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: ${options.reruns ?? 0} }
libraries:
  - name: lib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
${entries.join('\n')}
`,
  );
}

/** Cells of a run that never got a verdict, or that have a side without a result. */
export function lostCells(run: RunJson | null, expectedCells: number): number {
  if (!run) return expectedCells;
  const unfinished = run.cells.filter(
    (c) => !isFinished(c.verdict) || !isFinished(c.candidate.status) || !isFinished(c.baseline.status),
  ).length;
  return unfinished + Math.max(0, expectedCells - run.cells.length);
}
