/**
 * Seeds a store with finished runs straight through the Store API (no queue, no containers): what the
 * dashboard benchmark renders, and a quick way to look at the pages with realistic data.
 */
import { cellIdOf, cellKey } from '../common/cell.js';
import type { ResolvedConsumer } from '../common/matrix/load.js';
import { BACKENDS, type Backend, type CellVerdict, type SideStatus, type TestOutcome } from '../common/types.js';
import type { NewCell, Store } from '../server/store/store.js';

export interface SeedOptions {
  id: string;
  library?: string;
  candidate?: string;
  baseline?: string;
  consumers: number;
  backends?: readonly Backend[];
  trigger?: 'cli' | 'api' | 'webhook';
  /** Tests per side of each cell. @defaultValue 4 */
  testsPerSide?: number;
}

/** Deterministic pseudo-random numbers, so every seeded run looks the same. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function consumerConfig(name: string, backends: readonly Backend[]): ResolvedConsumer {
  return {
    name,
    repo: `https://git.example.org/consumers/${name}.git`,
    ref: 'v2.3.1',
    image: 'compat-runner:bookworm',
    install: 'npm ci',
    installCandidate: 'npm install --no-save "$COMPAT_ARTIFACT_DIR"/*.tgz',
    test: 'npm test -- --reporter=junit --output="$COMPAT_RESULTS_DIR/junit.xml"',
    backends: [...backends],
    env: { DB_URL: '${DATABASE_URL}' },
    secretEnv: [],
    timeoutSeconds: 600,
    resources: { memoryMb: 1024, cpus: 1, pids: 512 },
  };
}

const VERDICT_WEIGHTS: Array<[CellVerdict, number]> = [
  ['pass', 0.9],
  ['regression', 0.03],
  ['flaky', 0.025],
  ['failing', 0.02],
  ['fixed', 0.01],
  ['error', 0.015],
];

/** Inserts one finished run with `consumers x backends` cells of mixed verdicts. Returns its id. */
export function seedRun(store: Store, options: SeedOptions): string {
  const backends = options.backends ?? BACKENDS;
  const library = options.library ?? 'quarry';
  const random = rng([...options.id].reduce((h, c) => h * 31 + c.charCodeAt(0), 7));
  const testsPerSide = options.testsPerSide ?? 4;
  const cells: NewCell[] = [];
  for (let i = 0; i < options.consumers; i++) {
    const name = `consumer-${String(i).padStart(4, '0')}`;
    for (const backend of backends) cells.push({ id: cellIdOf(cellKey(name, backend)), consumer: name, backend, config: consumerConfig(name, backends) });
  }
  store.transaction(() => {
    store.insertRun(
      {
        id: options.id,
        library,
        candidate: options.candidate ?? 'v1.1.0',
        baseline: options.baseline ?? 'v1.0.0',
        candidateVersion: (options.candidate ?? 'v1.1.0').replace(/^v/, ''),
        baselineVersion: (options.baseline ?? 'v1.0.0').replace(/^v/, ''),
        candidateSha: 'c'.repeat(40),
        baselineSha: 'b'.repeat(40),
        trigger: options.trigger ?? 'webhook',
        reruns: 2,
        meta: { plan: { library: { name: library, repo: `https://git.example.org/${library}.git`, image: 'compat-runner:bookworm', command: 'npm pack --pack-destination "$COMPAT_ARTIFACT_DIR"', timeoutSeconds: 600 }, databases: { postgres: { image: 'compat-postgres:15' }, mysql: { image: 'compat-mariadb:10.11' } } } },
      },
      cells,
    );
    for (const cell of cells) {
      let pick = random();
      let verdict: CellVerdict = 'pass';
      for (const [v, w] of VERDICT_WEIGHTS) {
        if (pick < w) {
          verdict = v;
          break;
        }
        pick -= w;
      }
      const names = Array.from({ length: testsPerSide }, (_, t) => `${cell.consumer}::test_${t}`);
      const failing = (side: 'candidate' | 'baseline'): string[] => {
        switch (verdict) {
          case 'regression':
            return side === 'candidate' ? [names[1]] : [];
          case 'failing':
            return [names[0]];
          case 'fixed':
            return side === 'baseline' ? [names[2]] : [];
          default:
            return [];
        }
      };
      for (const side of ['candidate', 'baseline'] as const) {
        const failed = failing(side);
        const error = verdict === 'error' && side === 'candidate';
        const tests: TestOutcome[] = error
          ? []
          : names.map((id) =>
              failed.includes(id) ? { id, status: 'failed', message: `AssertionError: expected 42 rows, got 41 (${cell.backend})` } : { id, status: 'passed', durationMs: 20 },
            );
        const status: SideStatus = error ? 'error' : failed.length ? 'failed' : 'passed';
        store.recordSideResult({
          runId: options.id,
          cellId: cell.id,
          side,
          attempt: 0,
          status,
          durationMs: Math.round(20_000 + random() * 100_000),
          overheadMs: 3000,
          tests,
          ...(error ? { reason: 'database start failed: mysql server did not become ready within 60 s' } : {}),
        });
      }
      const newFailures = verdict === 'regression' ? [names[1]] : [];
      const fixedTests = verdict === 'fixed' ? [names[2]] : [];
      store.setCellDecision(options.id, cell.id, verdict, verdict === 'regression' || verdict === 'flaky' ? 3 : 1, newFailures, fixedTests);
    }
    const run = store.getRun(options.id)!;
    const verdict = run.cells.some((c) => c.verdict === 'regression') ? 'blocked' : run.cells.some((c) => c.verdict === 'error') ? 'incomplete' : 'pass';
    store.setRunState(options.id, 'done', verdict);
  });
  return options.id;
}
