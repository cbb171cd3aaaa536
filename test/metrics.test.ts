/**
 * Metrics an operator graphs: after a real run, the server's and a worker's /metrics are scraped, and
 * every series a panel of metrics/grafana-dashboard.json reads exists with a value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../common/config.js';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

const METRICS_DIR = path.join(REPO_ROOT, 'metrics');
let stack: Stack;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [['v1.0.0', 'ok'], ['v1.1.0', 'ok']]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  return writeMatrix(
    dir,
    `version: 1
libraries:
  - name: fixlib
    repo: ${lib}
    build: { image: compat-runner:bookworm, command: sh build.sh, timeoutSeconds: 60 }
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: compat-runner:bookworm
        installCandidate: test -f "$COMPAT_ARTIFACT_DIR/behaviour.txt"
        test: sh run-tests.sh
        backends: [sqlite, postgres]
        timeoutSeconds: 60
        resources: { memoryMb: 256, cpus: 0.5, pids: 64 }
`,
  );
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, sample lines only. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** Every `compat_*` selector in a PromQL expression, with its equality matchers. */
function selectors(expr: string): Array<{ name: string; matchers: Record<string, string> }> {
  const out: Array<{ name: string; matchers: Record<string, string> }> = [];
  for (const m of expr.matchAll(/\b(compat_[a-z0-9_]+)(\{([^}]*)\})?/g)) {
    const matchers: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) matchers[l[1]] = l[2];
    out.push({ name: m[1], matchers });
  }
  return out;
}

beforeAll(async () => {
  stack = await startStack({ matrix, worker: false });
});

afterAll(async () => {
  await stack?.close();
});

describe('metrics', () => {
  it('the server and a worker expose every series the Grafana dashboard graphs', async () => {
    const worker = await stack.startWorker(2, { metricsPort: 0 });
    expect(worker.metricsPort).toBeGreaterThan(0);
    const created = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    expect(created.status).toBe(201);
    const run = await stack.waitForRun(created.body.id);
    expect(run.verdict).toBe('pass');

    const scrape = async (url: string) => {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      return parseExposition(await res.text());
    };
    const samples = [...(await scrape(`${stack.server.url}/metrics`)), ...(await scrape(`http://127.0.0.1:${worker.metricsPort}/metrics`))];

    const dashboard = JSON.parse(readFileSync(path.join(METRICS_DIR, 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => selectors(t.expr).map((s) => ({ ...s, panel: p.title }))));
    expect(used.length).toBeGreaterThanOrEqual(12);
    for (const { name, matchers, panel } of used) {
      const found = samples.filter((s) => s.name === name && Object.entries(matchers).every(([k, v]) => s.labels[k] === v));
      expect(found.length, `${panel}: ${name}${JSON.stringify(matchers)}`).toBeGreaterThan(0);
      expect(found.every((s) => Number.isFinite(s.value)), `${panel}: ${name}`).toBe(true);
    }

    // And they say what happened: both backends' sides and phases observed, the run's time to verdict.
    const count = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;
    for (const backend of ['sqlite', 'postgres']) {
      expect(count('compat_worker_cell_side_seconds_count', { backend, status: 'passed' })).toBe(2);
      expect(count('compat_worker_phase_seconds_count', { backend, phase: 'test' })).toBe(2);
      expect(count('compat_queue_wait_seconds_count', { backend })).toBe(2);
    }
    expect(count('compat_run_time_to_verdict_seconds_count', { verdict: 'pass' })).toBe(1);
    expect(count('compat_runs', { state: 'done' })).toBe(1);
    expect(count('compat_worker_slots', { state: 'free' })).toBe(2);
    expect(count('compat_worker_cache_lookups_total', { cache: 'artifact', outcome: 'miss' }) + count('compat_worker_cache_lookups_total', { cache: 'artifact', outcome: 'hit' })).toBe(4);
    expect(count('compat_worker_janitor_sweeps_total', {})).toBeGreaterThanOrEqual(1);
    expect(count('compat_worker_engine_stuck_containers', {})).toBe(0);

    // The worker's readiness beside its metrics: engine and Redis answer, nothing held by the engine.
    const ready = await fetch(`http://127.0.0.1:${worker.metricsPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, checks: { engine: true, redis: true }, warnings: [] });
  });

  it('the Prometheus config scrapes /metrics of the server and the workers', () => {
    const config = parseYaml(readFileSync(path.join(METRICS_DIR, 'prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; metrics_path: string }> };
    expect(config.scrape_configs.map((c) => [c.job_name, c.metrics_path])).toEqual([
      ['compat-server', '/metrics'],
      ['compat-workers', '/metrics'],
    ]);
  });
});
