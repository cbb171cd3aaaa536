/**
 * The image a cell side's test command runs in, from two cached layers:
 *   install snapshot  = consumer image + checkout at its commit + `install`   (per consumer commit, image, command, lockfiles)
 *   candidate layer   = install snapshot + `installCandidate` of one artifact  (per snapshot and artifact digest)
 * Each is built once per worker host (a container runs the step and is committed), so the backends,
 * sides, attempts and runs of a consumer share them and run only `test`. The checkout is copied into the
 * container (not bind-mounted) so that it is part of the snapshot, and /tmp is the image's own for the
 * same reason (a venv in /tmp survives).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { CellJob } from '../../common/queue/jobs.js';
import type { SideStatus } from '../../common/types.js';
import type { ContainerOutcome, CreatedContainer } from '../container/spec.js';
import type { PackageCacheMounts } from '../caches/package-caches.js';
import { InfraError, RUNNER_UID, type WorkerPorts } from '../ports.js';
import { templateEnvFrom } from '../processors/env.js';
import { limitReason, sideContainerBase } from '../processors/side-container.js';
import type { PhaseTimes } from '../processors/phase-times.js';
import { OutputMasker } from '../secrets/masker.js';
import { candidateLayerKey, installSnapshotKey } from './key.js';
import { layerLabels, type LayerName } from './layers.js';

export interface SideImageInput {
  job: CellJob;
  ports: WorkerPorts;
  /** The consumer's commit and the digest of the lockfiles it holds. */
  sha: string;
  lockfiles: string;
  /** The consumer's image as this host has it (a Dockerfile image already built) and its id. */
  image: string;
  imageId: string;
  /** The folder the commands run in, inside the container (`/workspace` or the consumer's `workdir` in it). */
  workdir: string;
  /** Makes the checkout on the host and returns its folder: called only when the install snapshot is built. */
  checkout: () => Promise<string>;
  artifactsDir: string;
  artifactDigest: string;
  caches: PackageCacheMounts;
  /** HOME and the CA bundle's variables, as every container of the side gets them. */
  baseEnv: Record<string, string>;
  caBinds: string[];
  secretValues: Record<string, string>;
  log: { write(text: string): void };
  phases: PhaseTimes;
  /** Name of the side's test container; the step containers are named after it. */
  name: string;
  signal?: AbortSignal;
}

export type SideImage =
  | { ok: true; image: string; release: () => void; installHit: boolean; candidateHit: boolean; candidateMs: number }
  | { ok: false; status: SideStatus; reason: string; exitCode: number | null; candidateMs: number };

const INSTALL_STEP = 'if [ -n "${COMPAT_CMD_INSTALL:-}" ]; then exec sh -c "$COMPAT_CMD_INSTALL"; fi';
const CANDIDATE_STEP = 'exec sh -c "$COMPAT_CMD_INSTALL_CANDIDATE"';

/** The checkout as a tar stream rooted at `workspace/`, owned by the runner user, into the container's `/`. */
async function copyCheckout(container: CreatedContainer, src: string): Promise<void> {
  const tar = spawn(
    'tar',
    ['-C', path.dirname(src), '-c', '--numeric-owner', `--owner=${RUNNER_UID}`, `--group=${RUNNER_UID}`, '--transform', `s,^${path.basename(src)},workspace,`, path.basename(src)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  tar.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new InfraError(`tar of the checkout failed (${code}): ${stderr.trim()}`))));
  });
  await Promise.all([container.putArchive(tar.stdout, '/'), exited]);
}

export async function sideImage(input: SideImageInput): Promise<SideImage> {
  const { job, ports } = input;
  const { consumer } = job;
  const layers = ports.layers;
  const holds: Array<() => void> = [];
  const release = () => holds.forEach((r) => r());

  /** Runs one step in a container from `image` and commits it when it succeeds. */
  const runStep = async (
    layer: LayerName,
    key: string,
    target: { repo: string; tag: string },
    spec: { image: string; script: string; env: Record<string, string>; binds: string[]; timeoutMs: number; checkout?: string },
  ): Promise<ContainerOutcome> => {
    const base = await ports.images.config(spec.image);
    const output = new OutputMasker(Object.values(input.secretValues));
    const container = sideContainerBase(job, ports, `${layer}-step`);
    const outcome = await ports.containers.run({
      name: `${input.name}-${layer}`,
      image: spec.image,
      cmd: ['sh', '-c', spec.script],
      env: spec.env,
      workdir: input.workdir,
      user: container.user,
      binds: [...spec.binds, ...input.caBinds, ...input.caches.binds],
      networkMode: ports.config.network,
      limits: container.limits,
      tmpMb: 0,
      disk: { limitMb: container.diskMb, dirs: [] },
      timeoutMs: spec.timeoutMs,
      labels: container.labels,
      onOutput: (chunk, stream) => input.log.write(output.push(chunk, stream)),
      signal: input.signal,
      beforeStart: spec.checkout ? (container) => copyCheckout(container, spec.checkout!) : undefined,
      afterExit: async (container, outcome) => {
        if (outcome.exitCode !== 0) return;
        await container.commit({
          repo: target.repo,
          tag: target.tag,
          labels: layerLabels(ports.config.prefix, layer, key, consumer.name, base.size),
          // The image's own env, the caches' variables pointing back home: nothing of the step's env
          // (secrets, cache mounts) stays in the snapshot.
          env: [...base.env, ...input.caches.unmountedEnv],
          blank: Object.keys(spec.env),
        });
      },
    });
    input.log.write(output.end());
    return outcome;
  };

  /** A layer's image, held for this side; rebuilt if it was evicted between being found and held. */
  const held = async (layer: LayerName, key: string, build: (target: { repo: string; tag: string }) => Promise<void>) => {
    for (let tries = 0; ; tries++) {
      const ref = await layers.ensure(layer, key, build);
      const releaseRef = layers.hold(ref.tag);
      if ((await ports.images.id(ref.image)) || tries >= 2) {
        holds.push(releaseRef);
        return ref;
      }
      releaseRef();
    }
  };

  try {
    // Layer 1: the consumer's own install, shared by every side and backend.
    const installVars = {};
    const installEnvKeyed = templateEnvFrom(consumer.env, installVars);
    const installKey = installSnapshotKey({
      consumer: consumer.name,
      repo: consumer.repo,
      sha: input.sha,
      imageId: input.imageId,
      install: consumer.install ?? '',
      // Install runs in the workdir: another workdir is another snapshot.
      env: { ...installEnvKeyed, '(secrets)': consumer.secretEnv.join(','), '(workdir)': input.workdir },
      lockfiles: input.lockfiles,
    });
    let checkoutMs = 0;
    const installStarted = Date.now();
    const install = await held('install', installKey, async (target) => {
        const checkoutStarted = Date.now();
        const checkout = await input.checkout();
        checkoutMs = Date.now() - checkoutStarted;
        input.log.write(`[compat-matrix] install snapshot ${target.tag.slice(0, 20)}: not on this host, running install${consumer.install ? `: ${consumer.install}` : ' (none)'}\n`);
        const outcome = await runStep('install', installKey, target, {
          image: input.image,
          script: INSTALL_STEP,
          env: { ...input.baseEnv, ...input.caches.env, ...installEnvKeyed, ...input.secretValues, COMPAT_CMD_INSTALL: consumer.install ?? '' },
          binds: [],
          timeoutMs: consumer.timeoutSeconds * 1000,
          checkout,
        });
        if (outcome.aborted) throw new InfraError('cell aborted (worker shutting down)');
        if (outcome.timedOut) throw new InfraError(`install step timed out after ${consumer.timeoutSeconds} s`);
        if (outcome.exitCode !== 0) {
          const why = limitReason(outcome, consumer.resources);
          // The consumer's own dependencies would not install: the registry or the image, not the library.
          throw new InfraError(`install step failed (exit ${outcome.exitCode})${why ? `: ${why}` : ''}`);
        }
        void layers.evict().catch((error) => ports.log.warn({ err: error }, 'Snapshot eviction failed'));
      });
    input.phases.add('checkout', checkoutMs);
    input.phases.add('install', Date.now() - installStarted - checkoutMs);
    if (install.hit) input.log.write(`[compat-matrix] install: from snapshot ${install.tag.slice(0, 20)} (consumer ${input.sha.slice(0, 12)})\n`);

    // Layer 2: the artifact installed over it, shared by the backends and attempts of one side.
    const candidateVars = { COMPAT_LIBRARY: job.library, COMPAT_LIBRARY_VERSION: job.version, COMPAT_ARTIFACT_DIR: '/compat/artifact' };
    const candidateEnvKeyed = { ...templateEnvFrom(consumer.env, candidateVars), ...candidateVars };
    const candidateKey = candidateLayerKey({
      snapshot: installKey,
      artifactDigest: input.artifactDigest,
      installCandidate: consumer.installCandidate,
      env: { ...candidateEnvKeyed, '(secrets)': consumer.secretEnv.join(',') },
    });
    let failure: SideImage | null = null;
    const candidateStarted = Date.now();
    let candidateMs = 0;
    const candidate = await input.phases.time('install-candidate', () =>
      held('candidate', candidateKey, async (target) => {
        input.log.write(`[compat-matrix] installing ${job.library} ${job.version}: ${consumer.installCandidate}\n`);
        const outcome = await runStep('candidate', candidateKey, target, {
          image: install.image,
          script: CANDIDATE_STEP,
          env: { ...input.baseEnv, ...input.caches.env, ...candidateEnvKeyed, ...input.secretValues, COMPAT_CMD_INSTALL_CANDIDATE: consumer.installCandidate },
          binds: [`${input.artifactsDir}:/compat/artifact:ro`],
          timeoutMs: consumer.timeoutSeconds * 1000,
        });
        candidateMs = Date.now() - candidateStarted;
        if (outcome.aborted) throw new InfraError('cell aborted (worker shutting down)');
        if (outcome.exitCode === 0 && !outcome.timedOut) return;
        const why = limitReason(outcome, consumer.resources);
        failure = outcome.timedOut
          ? { ok: false, status: 'timeout', reason: `timed out after ${consumer.timeoutSeconds} s installing the ${job.side} artifact`, exitCode: outcome.exitCode, candidateMs }
          : { ok: false, status: 'failed', reason: why ?? `installing the ${job.side} artifact failed (exit ${outcome.exitCode})`, exitCode: outcome.exitCode, candidateMs };
        throw new CandidateInstallFailed();
      }),
    ).catch((error) => {
      if (error instanceof CandidateInstallFailed && failure) return null;
      throw error;
    });
    if (!candidate) {
      release();
      return failure!;
    }
    if (candidate.hit) input.log.write(`[compat-matrix] ${job.library} ${job.version}: from candidate layer ${candidate.tag.slice(0, 20)}\n`);
    return { ok: true, image: candidate.image, release, installHit: install.hit, candidateHit: candidate.hit, candidateMs };
  } catch (error) {
    release();
    throw error;
  }
}

/** The candidate step failed as a test outcome: not an error, and never shared with waiting sides. */
class CandidateInstallFailed extends Error {}
