/**
 * The side's suite in its limited container: the phase script (the installs, unless a snapshot holds
 * them, then the test command), its output masked into the side's log, its phases timed, its JUnit
 * read back. A rerun whose command selected none of the tests asked for runs the whole suite instead.
 */
import { chownSync, closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CELL_PATHS, cellEnv } from '../../common/cell-env.js';
import { ranSelection } from '../../common/test-evidence.js';
import type { ContainerOutcome } from '../container/spec.js';
import { readResultsDir } from '../results/junit.js';
import { OutputMasker } from '../secrets/masker.js';
import { caBind } from './build-artifact.js';
import { diffSchemas } from '../../common/schema/diff.js';
import type { SideResultPayload } from '../../common/queue/jobs.js';
import { InfraError, RUNNER_UID } from '../ports.js';
import { serverContainerOf, type SchemaTarget } from '../schema/read.js';
import { PHASE_SCRIPT, PhaseTracker, SCHEMA_DIR } from './phases.js';
import { sideContainerBase } from './side-container.js';
import { writePreset } from '../runners/write.js';
import { presetFor } from '../runners/presets.js';
import type { PreparedSide, SideContext } from './side-prepare.js';

/** Empties a folder the container writes (results, SQLite file) for a second run of the suite. */
function emptyDir(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(path.join(dir, entry), { recursive: true, force: true });
}

type SideSchema = NonNullable<SideResultPayload['schema']>;

export interface SideRan {
  outcome: ContainerOutcome;
  tracker: PhaseTracker;
  read: ReturnType<typeof readResultsDir>;
  /** What the migrations built (`schema:`), read before the tests ran; with `downgrade:`, what the round trip changed. */
  schema?: SideSchema;
}

/** The most of a `sql:` output kept (the rest is cut, and says so). */
const DDL_MAX = 1 << 20;

/** A file the container wrote, never through a link it put in its place; undefined when there is none. */
function containerText(file: string, max: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(max + 1);
    const n = readSync(fd, buffer, 0, max + 1, 0);
    const text = buffer.subarray(0, Math.min(n, max)).toString('utf8');
    return n > max ? `${text}\n-- [compat-matrix] cut at ${max} bytes\n` : text;
  } finally {
    closeSync(fd);
  }
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

  // The schema step's folder: the container writes `sql:` output there, the worker `read` when done.
  const schemaDir = path.join(ws.root, 'schema');
  const readSchemaOf = async (url: string): Promise<SideSchema> => {
    if (!ports.readSchema) throw new InfraError('this worker cannot read schemas', false);
    const target: SchemaTarget =
      job.backend === 'sqlite'
        ? { backend: 'sqlite', file: path.join(ws.db, path.basename(CELL_PATHS.sqlite)), scratch: ws.root }
        : { backend: job.backend, container: serverContainerOf(job.backend, hold.database ?? { url }), url: hold.database?.url ?? url };
    const document = await ports.readSchema(target);
    const ddl = consumer.schema?.sql ? containerText(path.join(schemaDir, 'ddl.sql'), DDL_MAX) : undefined;
    return { document, ...(ddl === undefined ? {} : { ddl }) };
  };

  const runSuite = async (url: string, command: string, rerunTests: string[] | null) => {
    rmSync(schemaDir, { recursive: true, force: true });
    if (consumer.schema) {
      mkdirSync(schemaDir, { recursive: true });
      chownSync(schemaDir, RUNNER_UID, RUNNER_UID);
    }
    // Read once the script says the migrations are done; the script waits for `read` before the tests.
    let schemaRead: Promise<SideSchema> | null = null;
    let roundTrip: Promise<SideSchema> | null = null;
    const rerunEnv: Record<string, string> = {};
    if (rerunTests) {
      writeFileSync(path.join(rerunDir, 'tests.txt'), `${rerunTests.join('\n')}\n`);
      rerunEnv.COMPAT_RERUN_TESTS = rerunTests.join('\n');
      rerunEnv.COMPAT_RERUN_TESTS_FILE = '/compat/rerun/tests.txt';
    }
    // From a snapshot both installs are done already: only the test command runs.
    const commands = { env: consumer.env, install: snapshot ? '' : consumer.install, installCandidate: snapshot ? '' : consumer.installCandidate, test: command, schema: consumer.schema };
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
        ...(consumer.schema ? [`${schemaDir}:${SCHEMA_DIR}:rw`] : []),
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
        if (consumer.schema && tracker.phase === 'schema' && !schemaRead) {
          const startedAt = Date.now();
          schemaRead = readSchemaOf(url).finally(() => {
            phases.add('schema', Date.now() - startedAt);
            writeFileSync(path.join(schemaDir, 'read'), '');
          });
          // Awaited once the container ends; until then a failure must not go unhandled.
          schemaRead.catch(() => undefined);
        }
        if (consumer.schema && tracker.phase === 'schema-again' && schemaRead && !roundTrip) {
          // The round trip: the schema after downgrade and migrate again, against the first.
          const first = schemaRead;
          const startedAt = Date.now();
          roundTrip = first
            .then(async (before) => {
              const after = await readSchemaOf(url);
              return { ...before, roundTrip: diffSchemas(before.document, after.document, consumer.schema?.ignore ?? []) };
            })
            .finally(() => {
              phases.add('schema-again', Date.now() - startedAt);
              writeFileSync(path.join(schemaDir, 'read-again'), '');
            });
          roundTrip.catch(() => undefined);
        }
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
    if (!snapshot && marks['install-candidate']) phases.add('install-candidate', (marks.migrate ?? marks.test ?? endedAt) - marks['install-candidate']);
    if (marks.migrate) phases.add('migrate', (marks.schema ?? endedAt) - marks.migrate);
    if (marks.test) phases.add('test', endedAt - marks.test);
    let schema: SideSchema | undefined;
    if (schemaRead) {
      try {
        schema = await (roundTrip ?? schemaRead);
      } catch (error) {
        // The catalogue could not be read: the server or the worker, never the library. Retried.
        throw new InfraError(`schema read failed: ${(error as Error).message}`);
      }
    }
    return { outcome, tracker, schema };
  };

  let { outcome, tracker, schema } = await runSuite(prepared.databaseUrl, wanted && consumer.rerun ? consumer.rerun : (consumer.test ?? ''), wanted);
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
    ({ outcome, tracker, schema } = await runSuite(url, consumer.test ?? '', null));
    read = readResultsDir(ws.results);
  }
  return { outcome, tracker, read, ...(schema ? { schema } : {}) };
}
