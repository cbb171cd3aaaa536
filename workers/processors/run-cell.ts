/**
 * Runs one side (candidate or baseline) of one cell: checkout at the consumer's pinned ref, a database
 * of its own, the library artifact mounted read-only, the suite in a limited container, JUnit read back.
 * Whatever happens, the container, the database and the workspace are removed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CellJob, SideResultPayload } from '../../common/queue/jobs.js';
import { logKey } from '../../common/queue/jobs.js';
import { CELL_PATHS, cellEnv, SQLITE_URL } from '../../common/cell-env.js';
import { GitError } from '../../common/git/mirror.js';
import { DEFAULT_RESOURCES } from '../../common/matrix/load.js';
import { LABEL_CELL, LABEL_KIND, LABEL_PREFIX, LABEL_RUN, LABEL_WORKER } from '../container/spec.js';
import type { CellDatabase } from '../databases/servers.js';
import { InfraError, RUNNER_UID, type WorkerPorts } from '../ports.js';
import { ensureImage } from '../images/image-ref.js';
import { readResultsDir } from '../results/junit.js';
import { chownForRunner, createWorkspace } from '../workspace.js';
import { caBind, caEnv } from './build-artifact.js';
import { PHASE_SCRIPT, PhaseTracker } from './phases.js';
import { maskText, OutputMasker } from '../secrets/masker.js';

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

async function artifactDir(job: CellJob, ports: WorkerPorts): Promise<string> {
  const dir = path.join(ports.config.dataDir, 'artifacts', job.artifactKey);
  if (existsSync(path.join(dir, '.complete'))) return dir;
  const files = await ports.artifacts.get(job.artifactKey);
  if (!files) throw new InfraError(`artifact ${job.artifactKey} is no longer in Redis`, false);
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of files) {
    if (name.includes('/') || name.startsWith('.')) continue;
    writeFileSync(path.join(dir, name), data);
  }
  writeFileSync(path.join(dir, '.complete'), '');
  return dir;
}

/** `logKey`: where the side's log goes when it is not a run's cell side (a bisect step). */
export async function runCellSide(job: CellJob, ports: WorkerPorts, signal?: AbortSignal, options: { logKey?: string } = {}): Promise<SideResultPayload> {
  const started = Date.now();
  const { consumer } = job;
  // One name per try: the container of a try whose worker died may still exist (its janitor has not run
  // yet) when another worker takes the same job, and a fixed name would make every retry fail on it.
  const name = `cell-${job.runId}-${job.cellId}-${job.side}-${job.attempt}-${randomBytes(3).toString('hex')}`;
  const owner = { prefix: ports.config.prefix, worker: ports.workerId, runId: job.runId, cellId: job.cellId };
  const ws = await createWorkspace(ports.config.dataDir, name);
  let database: CellDatabase | null = null;
  let dbRegistered: string | null = null;
  const secretValues = ports.secrets.forConsumer(consumer.name, consumer.secretEnv);
  const mask = maskText(Object.values(secretValues));
  const output = new OutputMasker(Object.values(secretValues));
  const log = ports.openLog(options.logKey ?? logKey(ports.config.prefix, job.runId, job.cellId, job.side, job.attempt));
  try {
    const image = await ensureImage(ports.images, consumer.image, { caBundle: ports.config.caBundle, log: (text) => log.write(mask(text)), signal });
    const artifacts = await artifactDir(job, ports);
    try {
      const sha = await ports.sources.resolve(consumer.repo, consumer.ref);
      await ports.sources.checkout(consumer.repo, sha, ws.src);
      log.write(`[compat-matrix] ${consumer.name} at ${consumer.ref} (${sha.slice(0, 12)}), ${job.library} ${job.version} (${job.side}), backend ${job.backend}\n`);
    } catch (error) {
      throw new InfraError((error as Error).message, !(error instanceof GitError && error.deterministic));
    }
    const workdir = consumerWorkdir(ws.src, consumer.workdir);
    await chownForRunner(ws.root);

    let databaseUrl = SQLITE_URL;
    let networkMode = ports.config.network;
    if (job.backend !== 'sqlite') {
      const fixed = consumer.fixedConnection?.[job.backend];
      try {
        if (fixed) {
          database = await ports.databases.startDedicated(job.backend, job.databaseImage, fixed, owner, consumer.resources);
          networkMode = database.networkMode!;
        } else {
          database = await ports.databases.createDatabase(job.backend, job.databaseImage, async (db) => {
            dbRegistered = db;
            await ports.registerDatabase(db, { worker: ports.workerId, backend: job.backend, image: job.databaseImage, run: job.runId });
          });
        }
      } catch (error) {
        throw new InfraError(`database start failed: ${(error as Error).message}`);
      }
      databaseUrl = database.url;
    }

    // Stored plans from before diskMb existed have none: the default applies.
    const diskMb = consumer.resources.diskMb ?? DEFAULT_RESOURCES.diskMb;
    const phases = new PhaseTracker();
    const outcome = await ports.containers.run({
      name,
      image,
      cmd: ['sh', '-c', PHASE_SCRIPT],
      env: {
        HOME: '/home/compat',
        ...caEnv(ports.config.caBundle),
        ...cellEnv({ databaseUrl, backend: job.backend, library: job.library, version: job.version, side: job.side, attempt: job.attempt, consumer }),
        ...secretValues,
      },
      workdir,
      user: `${RUNNER_UID}:${RUNNER_UID}`,
      binds: [
        `${ws.src}:/workspace:rw`,
        `${ws.results}:${CELL_PATHS.results}:rw`,
        `${ws.db}:${CELL_PATHS.db}:rw`,
        `${artifacts}:${CELL_PATHS.artifact}:ro`,
        ...caBind(ports.config.caBundle),
      ],
      networkMode,
      limits: consumer.resources,
      disk: { limitMb: diskMb, dirs: [ws.root] },
      timeoutMs: consumer.timeoutSeconds * 1000,
      labels: { [LABEL_KIND]: 'cell', [LABEL_PREFIX]: ports.config.prefix, [LABEL_WORKER]: ports.workerId, [LABEL_RUN]: job.runId, [LABEL_CELL]: job.cellId },
      onOutput: (chunk, stream) => {
        phases.feed(chunk.toString('utf8'));
        log.write(output.push(chunk, stream));
      },
      signal,
    });
    // What the maskers held back goes before anything the worker adds.
    log.write(output.end());
    if (outcome.aborted) throw new InfraError('cell aborted (worker shutting down)');
    const overheadMs = phases.testStartedAt ? phases.testStartedAt - started : null;
    const read = readResultsDir(ws.results);
    const problems = read.problems;
    // A suite that prints its secret in an assertion message must not publish it through the API.
    const tests = read.tests.map((t) => ({ ...t, id: mask(t.id), ...(t.message === undefined ? {} : { message: mask(t.message) }) }));
    for (const problem of problems) log.write(`[compat-matrix] ${problem}\n`);
    const base = { durationMs: Date.now() - started, overheadMs, tests, exitCode: outcome.exitCode };
    const pidReason = outcome.pidLimitHit || phases.forkRefused ? `hit the pid limit (${consumer.resources.pids} processes)` : undefined;
    const limitReason = outcome.oomKilled
      ? `ran out of memory (limit ${consumer.resources.memoryMb} MB)`
      : outcome.diskExceeded
        ? `filled its disk (limit ${diskMb} MB)`
        : pidReason;
    if (outcome.diskExceeded) log.write(`\n[compat-matrix] killed: ${limitReason}\n`);
    if (outcome.timedOut) {
      log.write(`\n[compat-matrix] killed after the ${consumer.timeoutSeconds} s timeout\n`);
      return { ...base, status: 'timeout', reason: `timed out after ${consumer.timeoutSeconds} s${pidReason ? `; ${pidReason}` : ''}` };
    }
    // Ended by a signal, by no limit of ours, before the script could report how its step ended (its
    // own exits are 201, 202 and the test command's status after the exit marker): the engine stopped
    // it (restart, `docker kill`). Retried, never taken for a test result.
    const ownExit = phases.exitStatus !== null || outcome.exitCode === 201 || outcome.exitCode === 202;
    const stoppedFromOutside = !ownExit && !outcome.oomKilled && !outcome.diskExceeded && outcome.exitCode !== null && outcome.exitCode >= 128;
    if (stoppedFromOutside) {
      throw new InfraError(`the test container was stopped from outside (exit ${outcome.exitCode}) before its suite ended: Docker engine restart or docker kill`);
    }
    if (phases.phase === 'install' || phases.phase === null) {
      // The consumer's own dependencies would not install: the registry or the image, not the library.
      throw new InfraError(`install step failed (exit ${outcome.exitCode})${limitReason ? `: ${limitReason}` : ''}`);
    }
    if (phases.phase === 'install-candidate') {
      return { ...base, status: 'failed', reason: limitReason ?? `installing the ${job.side} artifact failed (exit ${outcome.exitCode})` };
    }
    const anyFailed = tests.some((t) => t.status === 'failed');
    if (outcome.exitCode === 0 && !anyFailed) return { ...base, status: 'passed' };
    return {
      ...base,
      status: 'failed',
      reason: limitReason ?? (outcome.exitCode === 0 ? 'JUnit reports failed tests' : `test command exited with ${outcome.exitCode}`),
    };
  } finally {
    await log.end();
    const dropped = database
      ? await database.drop().then(
          () => true,
          (error) => (ports.log.warn({ err: error, db: database?.name }, 'Failed to drop cell database'), false),
        )
      : false;
    // Unregistered only once it is really gone; otherwise (the drop or even the create failed half-way)
    // it stays registered and the janitor drops it later.
    if (dbRegistered && dropped) await ports.unregisterDatabase(dbRegistered).catch(() => undefined);
    else if (dbRegistered) ports.releaseDatabase?.(dbRegistered);
    ws.remove();
  }
}
