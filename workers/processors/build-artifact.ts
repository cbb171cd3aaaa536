/**
 * Builds one side's installable artifact from the library checkout, in a container, before any of that
 * side's cells run. Artifacts are keyed by library and commit: a commit is built once, then reused.
 */
import type { BuildJob, BuildDone } from '../../common/queue/jobs.js';
import { logKey } from '../../common/queue/keys.js';
import { GitError } from '../../common/git/mirror.js';
import { downloadPublished, type PublishedFile } from '../../common/registry/published.js';
import { LABEL_KIND, LABEL_PREFIX, LABEL_RUN, LABEL_WORKER } from '../container/spec.js';
import { InfraError, RUNNER_UID, type WorkerPorts } from '../ports.js';
import { ensureImage } from '../images/image-ref.js';
import { artifactDigest } from '../snapshots/key.js';
import { chownForRunner, createWorkspace } from '../workspace.js';
import { ArtifactOutputError, readArtifactOutput } from './artifact-output.js';
import { OutputMasker } from '../secrets/masker.js';

export function artifactKeyOf(library: string, sha: string): string {
  return `${library}-${sha}`;
}

/** Where a build other than a run side's (a bisect's) keeps its log and workspace. */
export interface BuildPlace {
  logKey: string;
  /** Unique among the builds that may run at once on one worker. */
  name: string;
}

export async function buildArtifact(job: BuildJob, ports: WorkerPorts, signal?: AbortSignal, place?: BuildPlace): Promise<BuildDone> {
  const started = Date.now();
  // A published file is keyed by its digest (it has no commit), a build by its commit.
  const artifactKey = artifactKeyOf(job.library.name, job.published ? job.published.digest.hex : job.sha);
  const base = { kind: 'build-done' as const, runId: job.runId, side: job.side };
  // The files themselves, not only their names: the digest keys install snapshots and baseline reuse.
  const existing = await ports.artifacts.get(artifactKey);
  if (existing) {
    return { ...base, ok: true, artifactKey, artifactDigest: artifactDigest(existing), files: [...existing.keys()].sort(), durationMs: Date.now() - started };
  }
  if (job.published) return downloadArtifact(job, job.published, artifactKey, ports, started);

  const ws = await createWorkspace(ports.config.dataDir, place?.name ?? `build-${job.runId}-${job.side}`);
  const log = ports.openLog(place?.logKey ?? logKey(ports.config.prefix, job.runId, 'build', job.side, 0));
  try {
    const image = await ensureImage(ports.images, job.library.image, { caBundle: ports.config.caBundle, log: (text) => log.write(text), signal });
    try {
      await ports.sources.checkout(job.library.repo, job.sha, ws.src);
    } catch (error) {
      throw new InfraError((error as Error).message, !(error instanceof GitError && error.deterministic));
    }
    await chownForRunner(ws.root);
    log.write(`$ ${job.library.command}\n`);
    // No secrets in a build: this only decodes UTF-8 per stream, across chunk boundaries.
    const output = new OutputMasker([]);
    const outcome = await ports.containers.run({
      image,
      cmd: ['sh', '-c', 'exec sh -c "$COMPAT_BUILD_COMMAND"'],
      env: {
        COMPAT_BUILD_COMMAND: job.library.command,
        COMPAT_ARTIFACT_DIR: '/compat/artifact',
        COMPAT_LIBRARY: job.library.name,
        COMPAT_LIBRARY_VERSION: job.version,
        COMPAT_SIDE: job.side,
        HOME: '/tmp/home',
        ...caEnv(ports.config.caBundle),
      },
      workdir: '/workspace',
      user: `${RUNNER_UID}:${RUNNER_UID}`,
      binds: [`${ws.src}:/workspace:rw`, `${ws.out}:/compat/artifact:rw`, ...caBind(ports.config.caBundle)],
      networkMode: ports.config.network,
      limits: { memoryMb: 2048, cpus: 1, pids: 1024 },
      timeoutMs: job.library.timeoutSeconds * 1000,
      labels: { [LABEL_KIND]: 'build', [LABEL_PREFIX]: ports.config.prefix, [LABEL_WORKER]: ports.workerId, [LABEL_RUN]: job.runId },
      onOutput: (chunk, stream) => log.write(output.push(chunk, stream)),
      signal,
    });
    log.write(output.end());
    if (outcome.aborted) throw new InfraError('build aborted');
    if (outcome.timedOut) return { ...base, ok: false, reason: `artifact build timed out after ${job.library.timeoutSeconds} s`, durationMs: Date.now() - started };
    if (outcome.exitCode !== 0) {
      const why = outcome.oomKilled ? 'ran out of memory' : `exited with ${outcome.exitCode}`;
      return { ...base, ok: false, reason: `artifact build failed: \`${job.library.command}\` ${why}`, durationMs: Date.now() - started };
    }
    let files: Map<string, Buffer>;
    try {
      files = readArtifactOutput(ws.out, ports.config.artifactLimitMb);
    } catch (error) {
      if (!(error instanceof ArtifactOutputError)) throw error;
      log.write(`[compat-matrix] ${error.message}\n`);
      return { ...base, ok: false, reason: `artifact build refused: ${error.message}`, durationMs: Date.now() - started };
    }
    if (files.size === 0) {
      return { ...base, ok: false, reason: 'artifact build produced no files in $COMPAT_ARTIFACT_DIR', durationMs: Date.now() - started };
    }
    await ports.artifacts.put(artifactKey, files);
    log.write(`[compat-matrix] built ${[...files.keys()].join(', ')}\n`);
    return { ...base, ok: true, artifactKey, artifactDigest: artifactDigest(files), files: [...files.keys()].sort(), durationMs: Date.now() - started };
  } finally {
    await log.end();
    ws.remove();
  }
}

/**
 * A baseline as users install it: the registry's own file, checked against the digest it publishes. A
 * registry that does not answer is retried; a file whose digest does not match fails the side as `error`.
 */
async function downloadArtifact(job: BuildJob, file: PublishedFile, artifactKey: string, ports: WorkerPorts, started: number): Promise<BuildDone> {
  const base = { kind: 'build-done' as const, runId: job.runId, side: job.side };
  const log = ports.openLog(logKey(ports.config.prefix, job.runId, 'build', job.side, 0));
  try {
    log.write(`[compat-matrix] ${job.side}: ${file.name} ${file.published} as published on ${file.registry}, not built: ${file.url} (${file.digest.algorithm} ${file.digest.hex.slice(0, 16)}...)\n`);
    let data: Buffer;
    try {
      data = await downloadPublished(file, ports.config.artifactLimitMb * 1024 * 1024);
    } catch (error) {
      log.write(`[compat-matrix] ${(error as Error).message}\n`);
      throw new InfraError(`registry download failed: ${(error as Error).message}`, !/publishes|more than/.test((error as Error).message));
    }
    const files = new Map([[file.filename, data]]);
    await ports.artifacts.put(artifactKey, files);
    log.write(`[compat-matrix] downloaded ${file.filename} (${data.length} bytes), digest checked\n`);
    return { ...base, ok: true, artifactKey, artifactDigest: artifactDigest(files), files: [file.filename], durationMs: Date.now() - started };
  } finally {
    await log.end();
  }
}

/** The extra CA bundle, mounted where Debian, npm, pip and Node look for it. */
export function caBind(caBundle: string | null): string[] {
  return caBundle ? [`${caBundle}:/etc/ssl/certs/ca-certificates.crt:ro`] : [];
}

export function caEnv(caBundle: string | null): Record<string, string> {
  if (!caBundle) return {};
  const file = '/etc/ssl/certs/ca-certificates.crt';
  return { NODE_EXTRA_CA_CERTS: file, SSL_CERT_FILE: file, PIP_CERT: file, REQUESTS_CA_BUNDLE: file };
}
