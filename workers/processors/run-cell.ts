/**
 * Runs one side (candidate or baseline) of one cell: checkout at the consumer's pinned ref, a database
 * of its own, the library artifact mounted read-only, the suite in a limited container, JUnit read back.
 * Whatever happens, the container, the database and the workspace are removed.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CellJob, SideFacts, SideResultPayload } from '../../common/queue/jobs.js';
import { logKey } from '../../common/queue/keys.js';
import { publishDir } from '../../common/fs/publish-dir.js';
import { CELL_PATHS, cellEnv, SQLITE_URL } from '../../common/cell-env.js';
import { GitError } from '../../common/git/mirror.js';
import { packageCacheMounts } from '../caches/package-caches.js';
import type { CellDatabase } from '../databases/servers.js';
import { InfraError, RUNNER_UID, type WorkerPorts } from '../ports.js';
import { ensureImage } from '../images/image-ref.js';
import { readResultsDir } from '../results/junit.js';
import { ranSelection } from '../../common/test-evidence.js';
import { maskText, OutputMasker } from '../secrets/masker.js';
import { artifactDigest, LOCKFILES, lockfilesDigest } from '../snapshots/key.js';
import { sideImage, type SideImage } from '../snapshots/side-image.js';
import { chownForRunner, createWorkspace } from '../workspace.js';
import { caBind, caEnv } from './build-artifact.js';
import { PhaseTimes } from './phase-times.js';
import { PHASE_SCRIPT, PhaseTracker } from './phases.js';
import { reusableBaseline } from './reuse-check.js';
import { limitReason, pidLimitReason, sideContainerBase } from './side-container.js';

/**
 * The folder the commands run in, as the container sees it. The schema refuses `..` and absolute paths;
 * here the checkout itself is asked, so a symlink out of the repository or a folder the pinned ref does
 * not have is a clear error of the cell (deterministic: no retry) rather than a confusing test failure.
 */
export function consumerWorkdir(checkout: string, workdir: string | undefined): string {
  if (!workdir) return '/workspace';
  const root = realpathSync(checkout);
  let real: string;
  try {
    real = realpathSync(path.join(checkout, workdir));
  } catch {
    throw new InfraError(`workdir "${workdir}" does not exist in the consumer's checkout`, false);
  }
  if (real !== root && !real.startsWith(root + path.sep)) throw new InfraError(`workdir "${workdir}" leads out of the consumer's repository`, false);
  if (!statSync(real).isDirectory()) throw new InfraError(`workdir "${workdir}" is not a folder of the consumer's repository`, false);
  return path.posix.join('/workspace', ...path.relative(root, real).split(path.sep));
}

/**
 * The artifact on this host, with the content digest its snapshots and reuse are keyed by: fetched from
 * Redis once per host into `artifacts/KEY` (`.complete` marks it whole), counted as a cache lookup.
 */
async function artifactDir(job: CellJob, ports: WorkerPorts): Promise<{ dir: string; digest: string }> {
  const dir = path.join(ports.config.dataDir, 'artifacts', job.artifactKey);
  const digestFile = path.join(dir, '.digest');
  // Written aside and renamed into place: a cell of another worker process sharing the data dir may be
  // reading it already, and must never see a file half written.
  const fetched = await publishDir(
    dir,
    async (tmp) => {
      const files = await ports.artifacts.get(job.artifactKey);
      if (!files) throw new InfraError(`artifact ${job.artifactKey} is no longer in Redis`, false);
      mkdirSync(tmp, { recursive: true });
      const kept = new Map<string, Buffer>();
      for (const [name, data] of files) {
        if (name.includes('/') || name.startsWith('.')) continue;
        writeFileSync(path.join(tmp, name), data);
        kept.set(name, data);
      }
      writeFileSync(path.join(tmp, '.digest'), artifactDigest(kept));
      writeFileSync(path.join(tmp, '.complete'), '');
    },
    (d) => existsSync(path.join(d, '.complete')) && existsSync(path.join(d, '.digest')),
  );
  ports.cacheLookup?.('artifact', !fetched);
  return { dir, digest: readFileSync(digestFile, 'utf8') };
}

/** Empties a folder the container writes (results, SQLite file) for a second run of the suite. */
function emptyDir(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(path.join(dir, entry), { recursive: true, force: true });
}

/** `logKey`: where the side's log goes when it is not a run's cell side (a bisect step). */
export async function runCellSide(job: CellJob, ports: WorkerPorts, signal?: AbortSignal, options: { logKey?: string } = {}): Promise<SideResultPayload> {
  const started = Date.now();
  const phases = new PhaseTimes();
  const { consumer } = job;
  // One name per try: the container of a try whose worker died may still exist (its janitor has not run
  // yet) when another worker takes the same job, and a fixed name would make every retry fail on it.
  const name = `cell-${job.runId}-${job.cellId}-${job.side}-${job.attempt}-${randomBytes(3).toString('hex')}`;
  const owner = { prefix: ports.config.prefix, worker: ports.workerId, runId: job.runId, cellId: job.cellId };
  const ws = await createWorkspace(ports.config.dataDir, name);
  let database: CellDatabase | null = null;
  let dbRegistered: string | null = null;
  let image: SideImage | null = null;
  const secretValues = ports.secrets.forConsumer(job.library, consumer.name, consumer.secretEnv);
  const mask = maskText(Object.values(secretValues));
  const log = ports.openLog(options.logKey ?? logKey(ports.config.prefix, job.runId, job.cellId, job.side, job.attempt));
  const dropDatabase = async () => {
    if (!database) return;
    const db = database;
    database = null;
    const dropped = await db.drop().then(
      () => true,
      (error) => (ports.log.warn({ err: error, db: db.name }, 'Failed to drop cell database'), false),
    );
    // Unregistered only once it is really gone; otherwise (the drop or even the create failed half-way)
    // it stays registered and the janitor drops it later.
    if (dbRegistered && dropped) await ports.unregisterDatabase(dbRegistered).catch(() => undefined);
    else if (dbRegistered) ports.releaseDatabase?.(dbRegistered);
    dbRegistered = null;
  };
  try {
    const consumerImage = await ensureImage(ports.images, consumer.image, { caBundle: ports.config.caBundle, log: (text) => log.write(mask(text)), signal });
    const imageId = await ports.images.id(consumerImage);
    if (!imageId) throw new InfraError(`image ${consumerImage} is missing on this worker host: run \`compat images\``, false);
    const artifact = await phases.time('artifact', () => artifactDir(job, ports));
    const git = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (error) {
        throw new InfraError((error as Error).message, !(error instanceof GitError && error.deterministic));
      }
    };
    const sha = await phases.time('resolve', () => git(() => ports.sources.resolve(consumer.repo, consumer.ref)));
    log.write(`[compat-matrix] ${consumer.name} at ${consumer.ref} (${sha.slice(0, 12)}), ${job.library} ${job.version} (${job.side}), backend ${job.backend}\n`);
    const databaseImageId = job.backend === 'sqlite' ? undefined : ((await ports.images.id(job.databaseImage)) ?? undefined);
    const facts: SideFacts = { consumerSha: sha, imageId, artifactDigest: artifact.digest, ...(databaseImageId ? { databaseImageId } : {}) };

    // A baseline an earlier run tested with all the same inputs: nothing to run.
    const reusedFrom = reusableBaseline(job, facts);
    if (reusedFrom) {
      log.write(`[compat-matrix] baseline result reused from run ${reusedFrom} (same consumer commit, artifact, images, commands and env)\n`);
      return { status: 'passed', durationMs: Date.now() - started, overheadMs: null, tests: [], facts, reusedFrom, phases: phases.ms };
    }

    const cached = ports.config.snapshots && consumer.cacheInstall !== false;
    const caches = await packageCacheMounts(ports.config.dataDir, ports.config.packageCaches);
    const baseEnv = { HOME: '/home/compat', ...caEnv(ports.config.caBundle) };
    // Checked out once, when the install snapshot is built, or when the side runs without one.
    let checkedOut: Promise<string> | null = null;
    const checkout = () =>
      (checkedOut ??= (async () => {
        await git(() => ports.sources.checkout(consumer.repo, sha, ws.src));
        await chownForRunner(ws.src);
        return ws.src;
      })());
    // The folder the commands run in. A snapshot holds the checkout at /workspace as it was at `sha`, so
    // a `workdir` is worked out (and checked: no symlink out, a folder) on a checkout of that commit.
    const workdir = consumer.workdir ? consumerWorkdir(await phases.time('checkout', checkout), consumer.workdir) : '/workspace';
    const rerunDir = path.join(ws.root, 'rerun');
    mkdirSync(rerunDir, { recursive: true });
    // The folders the container writes, handed to its user (no process spawned: they are empty).
    for (const dir of [ws.root, ws.results, ws.db, ws.out, rerunDir]) chownSync(dir, RUNNER_UID, RUNNER_UID);

    const openDatabase = async (): Promise<string> => {
      if (job.backend === 'sqlite') return SQLITE_URL;
      const fixed = consumer.fixedConnection?.[job.backend];
      try {
        if (fixed) database = await ports.spareServers.take(job.backend, job.databaseImage, fixed, owner, consumer.resources);
        else {
          // Registered by the pool when made; this cell drops and unregisters it.
          database = await ports.spareDatabases.take(job.backend, job.databaseImage, job.runId);
          dbRegistered = database.name;
        }
      } catch (error) {
        throw new InfraError(`database start failed: ${(error as Error).message}`);
      }
      return database.url;
    };

    // The database and the side's image do not depend on each other: made at the same time.
    const [databaseUrl, prepared] = await Promise.allSettled([
      phases.time('database', openDatabase),
      cached
        ? (async () => {
            const blobs = await git(() => ports.sources.blobIds(consumer.repo, sha, LOCKFILES));
            return sideImage({
              job,
              ports,
              sha,
              lockfiles: lockfilesDigest(blobs),
              image: consumerImage,
              imageId,
              workdir,
              checkout,
              artifactsDir: artifact.dir,
              artifactDigest: artifact.digest,
              caches,
              baseEnv,
              caBinds: caBind(ports.config.caBundle),
              secretValues,
              log,
              phases,
              name,
              signal,
            });
          })()
        : (consumer.workdir ? checkout() : phases.time('checkout', checkout)).then(() => null),
    ]);
    if (prepared.status === 'fulfilled') image = prepared.value;
    if (databaseUrl.status === 'rejected') throw databaseUrl.reason;
    if (prepared.status === 'rejected') throw prepared.reason;
    const snapshot = prepared.value;
    // Two lookups in the snapshot cache: the install snapshot, then the candidate layer on it.
    if (snapshot?.ok) {
      ports.cacheLookup?.('snapshot', snapshot.installHit);
      ports.cacheLookup?.('snapshot', snapshot.candidateHit);
    }
    if (snapshot && !snapshot.ok) {
      log.write(`[compat-matrix] ${snapshot.reason}\n`);
      return { status: snapshot.status, durationMs: Date.now() - started, overheadMs: null, tests: [], reason: snapshot.reason, exitCode: snapshot.exitCode, facts, phases: phases.ms };
    }
    let networkMode = ports.config.network;
    if (database) networkMode = (database as CellDatabase).networkMode ?? networkMode;

    const container = sideContainerBase(job, ports, 'cell');
    // Candidate install and test share the side's time, as they did in one container.
    const timeoutMs = Math.max(1000, consumer.timeoutSeconds * 1000 - (snapshot?.candidateMs ?? 0));
    const wanted = job.rerunTests?.length && consumer.rerun ? job.rerunTests : null;

    const runSuite = async (url: string, command: string, rerunTests: string[] | null) => {
      const rerunEnv: Record<string, string> = {};
      if (rerunTests) {
        writeFileSync(path.join(rerunDir, 'tests.txt'), `${rerunTests.join('\n')}\n`);
        rerunEnv.COMPAT_RERUN_TESTS = rerunTests.join('\n');
        rerunEnv.COMPAT_RERUN_TESTS_FILE = '/compat/rerun/tests.txt';
      }
      // From a snapshot both installs are done already: only the test command runs.
      const commands = { env: consumer.env, install: snapshot ? '' : consumer.install, installCandidate: snapshot ? '' : consumer.installCandidate, test: command };
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
          ...cellEnv({ databaseUrl: url, backend: job.backend, library: job.library, version: job.version, side: job.side, attempt: job.attempt, consumer: commands }),
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

    let { outcome, tracker } = await runSuite(databaseUrl.value, wanted ? consumer.rerun! : consumer.test, wanted);
    let read = readResultsDir(ws.results);
    if (wanted && !outcome.aborted && !outcome.timedOut && tracker.testStartedAt && !ranSelection(read.tests, wanted, job.rerunStandsFor)) {
      // The rerun command ran none of the tests asked for (ids it cannot select), and failed in nothing
      // that runs before them (their hook, their module's collection): the whole suite, on a fresh
      // database, as a re-run without `rerun` would.
      log.write(`\n[compat-matrix] the rerun command ran none of the ${wanted.length} tests asked for: running the whole suite\n`);
      await dropDatabase();
      emptyDir(ws.results);
      emptyDir(ws.db);
      const url = await phases.time('database', openDatabase);
      if (database) networkMode = (database as CellDatabase).networkMode ?? networkMode;
      ({ outcome, tracker } = await runSuite(url, consumer.test, null));
      read = readResultsDir(ws.results);
    }
    if (outcome.aborted) throw new InfraError('cell aborted (worker shutting down)');
    const overheadMs = tracker.testStartedAt ? tracker.testStartedAt - started : null;
    const problems = read.problems;
    // A suite that prints its secret in an assertion message must not publish it through the API.
    const tests = read.tests.map((t) => ({ ...t, id: mask(t.id), ...(t.message === undefined ? {} : { message: mask(t.message) }) }));
    for (const problem of problems) log.write(`[compat-matrix] ${problem}\n`);
    const base = { durationMs: Date.now() - started, overheadMs, tests, ...(read.dropped ? { dropped: read.dropped } : {}), exitCode: outcome.exitCode, facts, phases: phases.ms };
    const pidReason = outcome.pidLimitHit || tracker.forkRefused ? pidLimitReason(consumer.resources) : undefined;
    const limit = limitReason(outcome, consumer.resources, tracker.forkRefused);
    if (outcome.diskExceeded) log.write(`\n[compat-matrix] killed: ${limit}\n`);
    if (outcome.timedOut) {
      log.write(`\n[compat-matrix] killed after the ${consumer.timeoutSeconds} s timeout\n`);
      return { ...base, status: 'timeout', reason: `timed out after ${consumer.timeoutSeconds} s${pidReason ? `; ${pidReason}` : ''}` };
    }
    // Ended by a signal, by no limit of ours, before the script could report how its step ended (its
    // own exits are 201, 202 and the test command's status after the exit marker): the engine stopped
    // it (restart, `docker kill`). Retried, never taken for a test result.
    const ownExit = tracker.exitStatus !== null || outcome.exitCode === 201 || outcome.exitCode === 202;
    const stoppedFromOutside = !ownExit && !outcome.oomKilled && !outcome.diskExceeded && outcome.exitCode !== null && outcome.exitCode >= 128;
    if (stoppedFromOutside) {
      throw new InfraError(`the test container was stopped from outside (exit ${outcome.exitCode}) before its suite ended: Docker engine restart or docker kill`);
    }
    if (tracker.phase === 'install' || tracker.phase === null) {
      // The consumer's own dependencies would not install: the registry or the image, not the library.
      throw new InfraError(`install step failed (exit ${outcome.exitCode})${limit ? `: ${limit}` : ''}`);
    }
    if (tracker.phase === 'install-candidate') {
      return { ...base, status: 'failed', reason: limit ?? `installing the ${job.side} artifact failed (exit ${outcome.exitCode})` };
    }
    const anyFailed = tests.some((t) => t.status === 'failed');
    if (outcome.exitCode === 0 && !anyFailed) return { ...base, status: 'passed' };
    return {
      ...base,
      status: 'failed',
      reason: limit ?? (outcome.exitCode === 0 ? 'JUnit reports failed tests' : `test command exited with ${outcome.exitCode}`),
    };
  } finally {
    if (image?.ok) image.release();
    await log.end();
    await dropDatabase();
    ws.remove();
  }
}
