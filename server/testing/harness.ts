/**
 * An orchestrator on an in-memory store and fake ports, with a library whose first-parent history is
 * `commits` (v1.0.0 at the first, v1.1.0 at the last) and a consumer on the backends asked for; and the
 * messages a worker would send back, built from the jobs it took.
 */
import { logger } from '../../common/logger.js';
import { parseMatrix, type ResolvedMatrix } from '../../common/matrix/load.js';
import type { BisectBuildJob, BisectStepJob, BuildJob, CellJob, ResultMessage, SideResultPayload } from '../../common/queue/jobs.js';
import type { Backend, RunJson } from '../../common/types.js';
import { Orchestrator } from '../runs/orchestrator.js';
import { fakePorts, fakeSha, memoryStore } from './fakes.js';

export const LIBRARY_REPO = 'https://git.example.org/lib.git';

export interface HarnessOptions {
  backends?: Backend[];
  reruns?: number;
  bisect?: boolean;
  /** The consumer's `rerun` command (re-runs then select the new failures). */
  rerun?: string;
  /** The consumer's runner preset. */
  runner?: string;
  /** How many commits after the baseline's, the last being the candidate's. @defaultValue 8 */
  commits?: number;
  baselineReuseDays?: number;
  /** The library's npm package (its default baseline is then the registry's). */
  npm?: string;
}

export function matrixOf(options: HarnessOptions = {}): ResolvedMatrix {
  const consumer = {
    name: 'app',
    repo: 'https://git.example.org/app.git',
    ref: 'main',
    image: 'compat-runner:bookworm',
    installCandidate: 'true',
    test: 'true',
    backends: options.backends ?? ['sqlite'],
    ...(options.rerun ? { rerun: options.rerun } : {}),
    ...(options.runner ? { runner: options.runner } : {}),
  };
  const text = JSON.stringify({
    version: 1,
    defaults: { reruns: options.reruns ?? 0 },
    libraries: [
      {
        name: 'lib',
        repo: LIBRARY_REPO,
        tags: 'v{version}',
        build: { image: 'compat-runner:bookworm', command: 'make' },
        ...(options.bisect === false ? { bisect: false } : {}),
        ...(options.npm ? { registry: { npm: options.npm } } : {}),
        consumers: [consumer],
      },
    ],
  });
  return parseMatrix(text, 'matrix.yaml');
}

export function harness(options: HarnessOptions = {}) {
  const ports = fakePorts();
  const commits = Array.from({ length: (options.commits ?? 8) + 1 }, (_, i) => ({ sha: fakeSha(`c${i}`), subject: `change ${i}` }));
  ports.repos.add(LIBRARY_REPO, { commits, tags: { 'v1.0.0': commits[0].sha, 'v1.1.0': commits[commits.length - 1].sha } });
  const store = memoryStore();
  const seen = { created: [] as RunJson[], finished: [] as RunJson[], bisected: [] as RunJson[], changed: [] as string[], cancelled: [] as string[], published: 0 };
  const orchestrator = new Orchestrator(store, ports, {
    log: logger,
    baselineReuseDays: options.baselineReuseDays,
    publishMatrix: async () => void seen.published++,
    cancels: { mark: async (runId) => void seen.cancelled.push(runId) },
    hooks: {
      onRunCreated: (run) => void seen.created.push(run),
      onRunFinished: (run) => void seen.finished.push(run),
      onRunChanged: (runId) => void seen.changed.push(runId),
      onBisectFinished: (run) => void seen.bisected.push(run),
    },
  });
  const matrix = matrixOf(options);
  return {
    ports,
    work: ports.work,
    store,
    orchestrator,
    seen,
    matrix,
    commits,
    createRun: (request: { candidate?: string; baseline?: string; freshBaseline?: boolean } = {}) =>
      orchestrator.createRun(matrix, { library: 'lib', candidate: request.candidate ?? 'v1.1.0', ...request }, 'cli'),
    run: (runId: string) => store.getRun(runId)!,
    /** Applies the messages in order, each once. */
    async send(...messages: ResultMessage[]) {
      for (const message of messages) await orchestrator.handle(message);
    },
  };
}

/** A side's result: these tests passed, those failed (failed when any did). */
export function outcome(passed: string[], failed: string[] = [], extra: Partial<SideResultPayload> = {}): SideResultPayload {
  return {
    status: failed.length ? 'failed' : 'passed',
    durationMs: 100,
    overheadMs: 10,
    tests: [...passed.map((id) => ({ id, status: 'passed' as const })), ...failed.map((id) => ({ id, status: 'failed' as const }))],
    ...extra,
  };
}

export const built = (job: BuildJob, ok = true): ResultMessage =>
  ok
    ? { kind: 'build-done', runId: job.runId, side: job.side, ok: true, artifactKey: `art-${job.side}-${job.sha.slice(0, 7)}`, artifactDigest: `digest-${job.sha}`, durationMs: 1000 }
    : { kind: 'build-done', runId: job.runId, side: job.side, ok: false, reason: 'make: *** [all] Error 2', durationMs: 1000 };

export const started = (job: CellJob, worker = 'w1'): ResultMessage => ({ kind: 'side-started', runId: job.runId, cellId: job.cellId, side: job.side, attempt: job.attempt, worker, queuedMs: 5 });

export const done = (job: CellJob, result: SideResultPayload, worker = 'w1'): ResultMessage => ({ kind: 'side-done', runId: job.runId, cellId: job.cellId, side: job.side, attempt: job.attempt, worker, result });

export const bisectBuilt = (job: BisectBuildJob, ok = true): ResultMessage =>
  ok
    ? { kind: 'bisect-build-done', runId: job.runId, sha: job.sha, ok: true, artifactKey: `art-${job.sha.slice(0, 7)}`, durationMs: 1000 }
    : { kind: 'bisect-build-done', runId: job.runId, sha: job.sha, ok: false, reason: 'does not compile', durationMs: 1000 };

export const stepped = (job: BisectStepJob, result: SideResultPayload): ResultMessage => ({ kind: 'bisect-step-done', runId: job.runId, consumer: job.consumer.name, seq: job.seq, result });
