/**
 * A cell side made ready to run its suite: the consumer's image, the artifact on this host, the
 * consumer's commit checked out (or its install snapshot), the folders the container writes, and its
 * database. Or, before any of that runs, a result already known (a reused baseline, a snapshot whose
 * install failed).
 */
import { chownSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CellJob, SideFacts, SideResultPayload } from '../../common/queue/jobs.js';
import { publishDir } from '../../common/fs/publish-dir.js';
import { GitError } from '../../common/git/mirror.js';
import { packageCacheMounts, type PackageCacheMounts } from '../caches/package-caches.js';
import { InfraError, RUNNER_UID, type LogSink, type WorkerPorts } from '../ports.js';
import { ensureImage } from '../images/image-ref.js';
import { artifactDigest, LOCKFILES, lockfilesDigest } from '../snapshots/key.js';
import { sideImage, type SideImage } from '../snapshots/side-image.js';
import { chownForRunner, type Workspace } from '../workspace.js';
import { caBind, caEnv } from './build-artifact.js';
import type { PhaseTimes } from './phase-times.js';
import { reusableBaseline } from './reuse-check.js';
import type { SideHold } from './side-hold.js';

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

/** What one side's run needs besides its job and ports. */
export interface SideContext {
  job: CellJob;
  ports: WorkerPorts;
  signal?: AbortSignal;
  /** When the side began: its duration and overhead count from here. */
  started: number;
  phases: PhaseTimes;
  /** The side's container name, unique per try. */
  name: string;
  ws: Workspace;
  hold: SideHold;
  log: LogSink;
  secretValues: Record<string, string>;
  mask: (text: string) => string;
}

export interface PreparedSide {
  facts: SideFacts;
  consumerImage: string;
  artifact: { dir: string; digest: string };
  /** The commands' folder inside the container. */
  workdir: string;
  /** Where the tests a rerun asks for are written, mounted read-only at /compat/rerun. */
  rerunDir: string;
  caches: PackageCacheMounts;
  /** HOME and the CA bundle's variables, as every container of the side gets them. */
  baseEnv: Record<string, string>;
  databaseUrl: string;
  /** The install snapshot with the candidate on it; null when the side installs in its own container. */
  snapshot: Extract<SideImage, { ok: true }> | null;
}

/** The side ready to run, or its result when nothing is left to run. */
export async function prepareSide(ctx: SideContext): Promise<{ ready: PreparedSide } | { done: SideResultPayload }> {
  const { job, ports, signal, phases, name, ws, hold, log, secretValues, mask, started } = ctx;
  const { consumer } = job;
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
    return { done: { status: 'passed', durationMs: Date.now() - started, overheadMs: null, tests: [], facts, reusedFrom, phases: phases.ms } };
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

  // The database and the side's image do not depend on each other: made at the same time.
  const [databaseUrl, prepared] = await Promise.allSettled([
    phases.time('database', () => hold.openDatabase()),
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
  if (prepared.status === 'fulfilled') hold.image = prepared.value;
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
    return { done: { status: snapshot.status, durationMs: Date.now() - started, overheadMs: null, tests: [], reason: snapshot.reason, exitCode: snapshot.exitCode, facts, phases: phases.ms } };
  }
  return { ready: { facts, consumerImage, artifact, workdir, rerunDir, caches, baseEnv, databaseUrl: databaseUrl.value, snapshot } };
}
