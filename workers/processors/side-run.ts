/**
 * The side's suite in its limited container: the phase script (the installs, unless a snapshot holds
 * them, then the test command), its output masked into the side's log, its phases timed, its JUnit
 * read back. A rerun whose command selected none of the tests asked for runs the whole suite instead.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CELL_PATHS, cellEnv } from '../../common/cell-env.js';
import { ranSelection } from '../../common/test-evidence.js';
import type { ContainerOutcome } from '../container/spec.js';
import { readResultsDir } from '../results/junit.js';
import { OutputMasker } from '../secrets/masker.js';
import { caBind } from './build-artifact.js';
import { PHASE_SCRIPT, PhaseTracker } from './phases.js';
import { sideContainerBase } from './side-container.js';
import { writePreset } from '../runners/write.js';
import { presetFor } from '../runners/presets.js';
import type { PreparedSide, SideContext } from './side-prepare.js';

/** Empties a folder the container writes (results, SQLite file) for a second run of the suite. */
function emptyDir(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(path.join(dir, entry), { recursive: true, force: true });
}

export interface SideRan {
  outcome: ContainerOutcome;
  tracker: PhaseTracker;
  read: ReturnType<typeof readResultsDir>;
}

export async function runSide(ctx: SideContext, prepared: PreparedSide): Promise<SideRan> {
  const { job, ports, signal, phases, name, ws, hold, log, secretValues } = ctx;
  const { consumer } = job;
  const { snapshot, consumerImage, caches, baseEnv, workdir, artifact, rerunDir } = prepared;
  let networkMode = ports.config.network;
  if (hold.database) networkMode = hold.database.networkMode ?? networkMode;

  const container = sideContainerBase(job, ports, 'cell');
  // Candidate install and test share the side's time, as they did in one container.
  const timeoutMs = Math.max(1000, consumer.timeoutSeconds * 1000 - (snapshot?.candidateMs ?? 0));
  const preset = presetFor(consumer.runner);
  // A hand-written `rerun` selects the tests itself and wins; else a preset selects them in `test`.
  const wanted = job.rerunTests?.length && (consumer.rerun || preset) ? job.rerunTests : null;

  const runSuite = async (url: string, command: string, rerunTests: string[] | null) => {
    const rerunEnv: Record<string, string> = {};
    if (rerunTests) {
      writeFileSync(path.join(rerunDir, 'tests.txt'), `${rerunTests.join('\n')}\n`);
      rerunEnv.COMPAT_RERUN_TESTS = rerunTests.join('\n');
      rerunEnv.COMPAT_RERUN_TESTS_FILE = '/compat/rerun/tests.txt';
    }
    // From a snapshot both installs are done already: only the test command runs.
    const commands = { env: consumer.env, install: snapshot ? '' : consumer.install, installCandidate: snapshot ? '' : consumer.installCandidate, test: command };
    const env = cellEnv({ databaseUrl: url, backend: job.backend, library: job.library, version: job.version, side: job.side, attempt: job.attempt, consumer: commands });
    const presetEnv = preset ? writePreset(preset, rerunDir, rerunTests && !consumer.rerun ? { ids: rerunTests } : {}, env) : {};
    const output = new OutputMasker(Object.values(secretValues));
    const tracker = new PhaseTracker();
    const calledAt = Date.now();
    const outcome = await ports.containers.run({
      name: rerunTests === null && wanted ? `${name}-full` : name,
      image: snapshot ? snapshot.image : consumerImage,
      cmd: ['sh', '-c', PHASE_SCRIPT],
      env: {
        ...baseEnv,
        ...(snapshot ? {} : caches.env),
        ...env,
        ...presetEnv,
        ...secretValues,
        ...rerunEnv,
      },
      workdir,
      user: container.user,
      binds: [
        ...(snapshot ? [] : [`${ws.src}:/workspace:rw`, ...caches.binds]),
        `${ws.results}:${CELL_PATHS.results}:rw`,
        `${ws.db}:${CELL_PATHS.db}:rw`,
        `${artifact.dir}:${CELL_PATHS.artifact}:ro`,
        `${rerunDir}:/compat/rerun:ro`,
        ...caBind(ports.config.caBundle),
      ],
      networkMode,
      limits: container.limits,
      // From a snapshot, /tmp is the image's: what install put there (a venv) is still there.
      ...(snapshot ? { tmpMb: 0 } : {}),
      disk: { limitMb: container.diskMb, dirs: [ws.root] },
      timeoutMs: snapshot ? timeoutMs : consumer.timeoutSeconds * 1000,
      labels: container.labels,
      onOutput: (chunk, stream) => {
        tracker.feed(chunk.toString('utf8'));
        log.write(output.push(chunk, stream));
      },
      signal,
    });
    // What the maskers held back goes before anything the worker adds.
    log.write(output.end());
    const endedAt = Date.now();
    const marks = tracker.markedAt;
    const firstMark = snapshot ? marks.test : marks.install;
    phases.add('container', (firstMark ?? endedAt) - calledAt);
    if (!snapshot && marks.install) phases.add('install', (marks['install-candidate'] ?? endedAt) - marks.install);
    if (!snapshot && marks['install-candidate']) phases.add('install-candidate', (marks.test ?? endedAt) - marks['install-candidate']);
    if (marks.test) phases.add('test', endedAt - marks.test);
    return { outcome, tracker };
  };

  let { outcome, tracker } = await runSuite(prepared.databaseUrl, wanted && consumer.rerun ? consumer.rerun : consumer.test, wanted);
  let read = readResultsDir(ws.results);
  if (wanted && !outcome.aborted && !outcome.timedOut && tracker.testStartedAt && !ranSelection(read.tests, wanted, job.rerunStandsFor)) {
    // The rerun command (or preset) ran none of the tests asked for (ids it cannot select), and failed in nothing
    // that runs before them (their hook, their module's collection): the whole suite, on a fresh
    // database, as a re-run without `rerun` would.
    log.write(`\n[compat-matrix] the rerun command ran none of the ${wanted.length} tests asked for: running the whole suite\n`);
    await hold.dropDatabase();
    emptyDir(ws.results);
    emptyDir(ws.db);
    const url = await phases.time('database', () => hold.openDatabase());
    if (hold.database) networkMode = hold.database.networkMode ?? networkMode;
    ({ outcome, tracker } = await runSuite(url, consumer.test, null));
    read = readResultsDir(ws.results);
  }
  return { outcome, tracker, read };
}
