/**
 * `compat`: the command line (CONTRACT "Command line"). Each command maps its outcome to the contract's
 * exit codes; usage and configuration errors print one clear line and exit 2.
 */
import { Command, CommanderError } from 'commander';
import path from 'node:path';
import { loadConfig, type Config } from '../common/config.js';
import { refNameProblem } from '../common/git/ref.js';
import { baselineRefProblem } from '../common/registry/baseline-ref.js';
import { redactText } from '../common/redact.js';
import { formatProblem, imagesOf, loadMatrix, MatrixError } from '../common/matrix/load.js';
import { BACKENDS } from '../common/types.js';
import type { BisectJson, GateJson, RunJson } from '../common/wire.js';
import { ApiError, Client } from './client.js';
import { EXIT, exitCodeOf, UsageError } from './exit-codes.js';
import { withLocalTokens } from './local-admin.js';
import { SCOPES } from '../server/auth/tokens.js';
import { ensureLocalStack, stopLocalStack } from './local-stack.js';
import { calibrateCommand } from './calibrate.js';
import { quarantineCommands } from './quarantine.js';
import { progressLine, renderBisect, renderRun } from './table.js';

const config = loadConfig();
// All the CLI prints goes through the redaction: a message or a run read from the store may quote a
// repository URL with its credentials.
const say = (msg: string) => process.stderr.write(`${redactText(msg)}\n`);
const print = (text: string) => process.stdout.write(redactText(text));

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function matrixOrExit(file: string) {
  try {
    return loadMatrix(file);
  } catch (error) {
    if (error instanceof MatrixError) throw new UsageError(error.problems.map(formatProblem).join('\n'));
    throw error;
  }
}

/** Why a request to the server failed: fetch puts the network error (ECONNREFUSED...) in `cause`. */
function reason(error: unknown): string {
  return (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
}

/** Polls a run until it is done and its bisects (which start on confirmed regressions) have ended. */
async function followRun(client: Client, id: string, json: boolean, until: (run: RunJson) => boolean = settled): Promise<RunJson> {
  const startedAt = Date.now();
  let last = '';
  for (;;) {
    const run = await client.getRun(id);
    const line = progressLine(run, startedAt);
    const key = line.replace(/^\[\d+s\] /, '');
    if (!json && key !== last) say(line);
    last = key;
    if (until(run)) return run;
    await new Promise((r) => setTimeout(r, 1500));
  }
}

function settled(run: RunJson): boolean {
  return run.status === 'done' && !run.cells.some((c) => c.bisect?.status === 'running');
}

async function fetchRun(client: Client, id: string): Promise<RunJson> {
  try {
    return await client.getRun(id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new UsageError(`no run "${id}"`, EXIT.unknown);
    if (error instanceof ApiError) throw error;
    // The server is the store's one reader and writer; without it there is no verdict to show.
    throw new UsageError(`report: cannot reach the compat server (${reason(error)}); start it or set COMPAT_SERVER_URL`, EXIT.incomplete);
  }
}

interface RunOptions {
  library: string;
  candidate: string;
  baseline?: string;
  consumer?: string[];
  backend?: string[];
  freshBaseline?: boolean;
  wait?: boolean;
  json?: boolean;
  matrix?: string;
}

async function runCommand(opts: RunOptions, cfg: Config, onDone?: (run: RunJson) => void): Promise<number> {
  const candidateProblem = refNameProblem(opts.candidate);
  if (candidateProblem) throw new UsageError(`--candidate: not a valid git ref: ${candidateProblem}`);
  // The same parser as the API's `baseline` (common/registry/baseline-ref.ts): a tag, npm:NAME@V or pypi:NAME==V.
  const baselineProblem = opts.baseline === undefined ? null : baselineRefProblem(opts.baseline);
  if (baselineProblem) throw new UsageError(`--baseline: ${baselineProblem}`);
  for (const b of opts.backend ?? []) {
    if (!(BACKENDS as readonly string[]).includes(b)) throw new UsageError(`--backend: "${b}" is not one of ${BACKENDS.join(', ')}`);
  }
  const matrix = matrixOrExit(cfg.matrixFile);
  if (!matrix.libraries.some((l) => l.name === opts.library)) {
    throw new UsageError(`--library: unknown library "${opts.library}"; ${cfg.matrixFile} has ${matrix.libraries.map((l) => l.name).join(', ')}`);
  }
  if (!process.env.COMPAT_SERVER_URL) await ensureLocalStack(cfg, { say });
  const client = Client.for(cfg);
  let created: { id: string; run: RunJson };
  try {
    created = await client.createRun({
      library: opts.library,
      candidate: opts.candidate,
      ...(opts.baseline ? { baseline: opts.baseline } : {}),
      ...(opts.consumer?.length ? { consumers: opts.consumer } : {}),
      ...(opts.backend?.length ? { backends: opts.backend } : {}),
      ...(opts.freshBaseline ? { freshBaseline: true } : {}),
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) throw new UsageError(error.message);
    throw error;
  }
  const { run } = created;
  if (!opts.wait) {
    if (opts.json) print(`${JSON.stringify(run, null, 2)}\n`);
    else {
      print(`${run.id}\n`);
      say(`planned ${run.cells.length} cells: ${run.library} ${run.candidate} against ${run.baseline}; follow with: compat report ${run.id}`);
    }
    return EXIT.ok;
  }
  if (!opts.json) print(`${run.id}\n`);
  say(`run ${run.id}: ${run.library} ${run.candidate} against ${run.baseline}, ${run.cells.length} cells x 2 sides`);
  const done = await followRun(client, run.id, Boolean(opts.json));
  print(opts.json ? `${JSON.stringify(done, null, 2)}\n` : `${renderRun(done, cfg.publicUrl)}\n`);
  onDone?.(done);
  return exitCodeOf(done.verdict);
}

function gateExit(gate: GateJson): number {
  return gate.state === 'pass' ? EXIT.ok : gate.state === 'blocked' ? EXIT.blocked : EXIT.incomplete;
}

export function buildProgram(): Command {
  const program = new Command('compat')
    .description('Runs downstream consumers against a library candidate and its baseline; blocks releases that regress them.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('validate')
    .description('check matrix.yaml; every problem as FILE:LINE:COL: field: message')
    .option('--matrix <file>', 'matrix file', config.matrixFile)
    .action(act((opts: { matrix: string }) => {
      try {
        const matrix = loadMatrix(opts.matrix);
        const cells = matrix.libraries.reduce((n, l) => n + l.consumers.reduce((m, c) => m + c.backends.length, 0), 0);
        say(`${opts.matrix}: valid (${matrix.libraries.length} libraries, ${cells} cells per run side)`);
        return EXIT.ok;
      } catch (error) {
        if (!(error instanceof MatrixError)) throw error;
        for (const p of error.problems) print(`${formatProblem(p)}\n`);
        say(`${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`);
        return EXIT.usage;
      }
    }));

  program
    .command('run')
    .description('plan and enqueue a run; with --wait, follow it and print the verdict table')
    .requiredOption('--library <name>')
    .requiredOption('--candidate <ref>', 'tag or commit of the candidate')
    .option('--baseline <ref>', 'a tag, npm:NAME@VERSION or pypi:NAME==VERSION (default: the highest release below the candidate)')
    .option('--consumer <name>', 'only this consumer (repeatable)', collect)
    .option('--backend <backend>', 'only this backend (repeatable)', collect)
    .option('--fresh-baseline', 'test the baseline anew instead of reusing a recent identical result')
    .option('--wait', 'follow the run and print its verdict table')
    .option('--json', 'print JSON')
    .option('--matrix <file>', 'matrix file')
    .action(act((opts: RunOptions) => runCommand(opts, opts.matrix ? { ...config, matrixFile: path.resolve(opts.matrix) } : config)));

  program
    .command('report')
    .description("a run's verdict table")
    .argument('<runId>')
    .option('--json')
    .action(act(async (id: string, opts: { json?: boolean }) => {
      const run = await fetchRun(Client.for(config), id);
      print(opts.json ? `${JSON.stringify(run, null, 2)}\n` : `${renderRun(run, config.publicUrl)}\n`);
      return run.status === 'done' || run.verdict === 'blocked' ? exitCodeOf(run.verdict) : EXIT.incomplete;
    }));

  program
    .command('bisect')
    .description("name the library commit that broke a regressed cell: 0 found, 3 inconclusive, 2 not a regression, 4 unknown run or cell")
    .argument('<runId>')
    .argument('<cellId>')
    .option('--wait', 'follow the bisect to its end')
    .option('--json', 'print JSON')
    .action(act(async (runId: string, cellId: string, opts: { wait?: boolean; json?: boolean }) => {
      if (!process.env.COMPAT_SERVER_URL) await ensureLocalStack(config, { say });
      const client = Client.for(config);
      let bisect: BisectJson;
      try {
        bisect = (await client.startBisect(runId, cellId)).bisect;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) throw new UsageError(error.message, EXIT.unknown);
        if (error instanceof ApiError && error.status === 409) throw new UsageError(error.message, EXIT.usage);
        throw error;
      }
      if (opts.wait && bisect.status === 'running') {
        const cellBisect = (run: RunJson) => run.cells.find((c) => c.id === cellId)?.bisect;
        const run = await followRun(client, runId, Boolean(opts.json), (r) => cellBisect(r)?.status !== 'running');
        bisect = cellBisect(run) ?? bisect;
      }
      process.stdout.write(opts.json ? `${JSON.stringify(bisect, null, 2)}\n` : `${renderBisect(cellId, bisect)}\n`);
      return bisect.status === 'found' ? EXIT.ok : EXIT.incomplete;
    }));

  program
    .command('cancel')
    .description('stop a run: queued cells dropped, running ones stopped and removed; 0 cancelled, 4 unknown run, 2 already finished')
    .argument('<runId>')
    .option('--json', 'print the cancelled run as JSON')
    .action(act(async (runId: string, opts: { json?: boolean }) => {
      let run: RunJson;
      try {
        run = (await Client.for(config).cancelRun(runId)).run;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) throw new UsageError(error.message, EXIT.unknown);
        if (error instanceof ApiError && error.status === 409) throw new UsageError(error.message, EXIT.usage);
        throw error;
      }
      print(opts.json ? `${JSON.stringify(run, null, 2)}\n` : `run ${run.id}: cancelled\n`);
      return EXIT.ok;
    }));

  program
    .command('gate')
    .description('may this version be published? 0 pass, 1 blocked, 3 pending/incomplete, 4 no run')
    .requiredOption('--library <name>')
    .requiredOption('--version <version>')
    .option('--json')
    .action(act(async (opts: { library: string; version: string; json?: boolean }) => {
      let gate: GateJson;
      try {
        gate = await Client.for(config).gate(opts.library, opts.version);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          say(`no run for ${opts.library} ${opts.version}`);
          return EXIT.unknown;
        }
        if (error instanceof ApiError) throw error;
        // No answer is no permission to publish; "pending" is the honest state (exit 3).
        say(`gate: cannot reach the compat server (${reason(error)}); set COMPAT_SERVER_URL`);
        return EXIT.incomplete;
      }
      if (opts.json) print(`${JSON.stringify(gate)}\n`);
      else {
        print(`${opts.library} ${opts.version}: ${gate.state} (run ${gate.runId})\n`);
        for (const r of gate.regressions) {
          // The gate lists a cell's first new failures; the cell's own route pages the rest.
          const more = (r.newFailuresTotal ?? r.newFailures.length) - r.newFailures.length;
          print(`  regression ${r.cell}: ${r.newFailures.join(', ') || 'suite fails'}${more > 0 ? ` (+${more} more)` : ''}\n`);
        }
      }
      return gateExit(gate);
    }));

  program
    .command('server')
    .description('HTTP API, webhooks, dashboard')
    .option('--port <n>', 'port', String(config.port))
    .action(act(async (opts: { port: string }) => {
      const { startServerProcess } = await import('../server/main.js');
      await startServerProcess({ ...config, port: Number(opts.port) });
      return null;
    }));

  program
    .command('worker')
    .description('pull cells from the queue and run them in containers')
    .option('--concurrency <n>', 'cells at once (default: what the host\'s CPUs and memory allow for the matrix\'s limits)')
    .option('--backends <list>', `only cells of these backends, comma-separated (default: ${BACKENDS.join(',')})`)
    .option('--metrics-port <n>', 'serve Prometheus metrics on this port (/metrics; address from COMPAT_METRICS_HOST, default 127.0.0.1)')
    .action(act(async (opts: { concurrency?: string; backends?: string; metricsPort?: string }) => {
      const { startWorkerProcess } = await import('../workers/main.js');
      const { parseBackends } = await import('../workers/placement.js');
      let backends;
      try {
        backends = opts.backends === undefined ? undefined : parseBackends(opts.backends);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency);
      if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) throw new UsageError(`--concurrency: a whole number of 1 or more, got "${opts.concurrency}"`);
      const metricsPort = opts.metricsPort === undefined ? undefined : Number(opts.metricsPort);
      if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort < 65536)) throw new UsageError(`--metrics-port: a port number, got "${opts.metricsPort}"`);
      await startWorkerProcess(config, { concurrency, backends, metricsPort });
      return null;
    }));

  program
    .command('images')
    .description('make sure every image matrix.yaml names exists (pull, or build offline from Debian packages)')
    .option('--matrix <file>', 'matrix file', config.matrixFile)
    .action(act(async (opts: { matrix: string }) => {
      const matrix = matrixOrExit(opts.matrix);
      const { ensureImages } = await import('../images/index.js');
      const { createEngine } = await import('../common/docker/engine.js');
      try {
        const results = await ensureImages(imagesOf(matrix), { docker: createEngine(), dataDir: config.dataDir, log: say, caBundle: config.caBundle ?? undefined });
        for (const r of results) say(`image ${r.name}: ${r.action} (${r.seconds.toFixed(1)} s)`);
        return EXIT.ok;
      } catch (error) {
        say(`images: ${(error as Error).message}`);
        return 1;
      }
    }));

  program
    .command('demo')
    .description('prepare everything, run the example matrix end to end, print the table and the dashboard URL')
    .action(act(async () => {
      const { runDemo } = await import('./demo.js');
      return runDemo(config, { say, run: (opts, onDone) => runCommand(opts, config, onDone) });
    }));

  program
    .command('down')
    .description('stop the local server and worker started by run/demo')
    .action(act(async () => {
      const stopped = await stopLocalStack(config);
      say(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing running');
      return EXIT.ok;
    }));

  quarantineCommands(program, config, act, print);
  calibrateCommand(program, config, act, print);

  const tokens = program.command('tokens').description('API tokens: admin (also changes queues on the queue board), write (POST /api/runs; a read-only queue board) or read (a private deployment\'s reads)');
  tokens
    .command('create')
    .argument('<name>')
    .option('--scope <scope>', 'admin (also changes queues on /admin/queues), write (also reads) or read (only reads, for COMPAT_READ_TOKEN_REQUIRED=1)', 'write')
    .action(act(async (name: string, opts: { scope: string }) => {
      const scope = SCOPES.find((s) => s === opts.scope);
      if (!scope) throw new UsageError(`--scope: "${opts.scope}" is not one of ${SCOPES.join(', ')}`);
      const { token, id } = await withLocalTokens(config, (t) => t.create(name, scope));
      print(`${token}\n`);
      say(`created ${opts.scope} token ${id} "${name}"; it is shown only once`);
      return EXIT.ok;
    }));
  tokens
    .command('revoke')
    .argument('<idOrName>')
    .action(act(async (id: string) => {
      const n = await withLocalTokens(config, (t) => t.revoke(id));
      say(n ? `revoked ${n} token(s)` : `no active token "${id}"`);
      return n ? EXIT.ok : EXIT.unknown;
    }));
  tokens.command('list').action(act(async () => {
    for (const t of await withLocalTokens(config, (tokens) => tokens.list())) print(`${t.id}\t${t.name}\t${t.scope}\t${t.created_at}\t${t.revoked_at ? `revoked ${t.revoked_at}` : 'active'}\n`);
    return EXIT.ok;
  }));
  return program;
}

/** The exit code of the action that ran; null keeps the process alive (server, worker). */
let actionResult: number | null = EXIT.ok;

/** Commander ignores what an action returns: this keeps it as the exit code. */
function act<A extends unknown[]>(fn: (...args: A) => number | null | Promise<number | null>) {
  return async (...args: A) => {
    actionResult = await fn(...args);
  };
}

async function main(): Promise<void> {
  let code: number | null;
  try {
    await buildProgram().parseAsync(process.argv);
    code = actionResult;
  } catch (error) {
    if (error instanceof CommanderError) {
      code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (error instanceof UsageError) {
      say(error.message);
      code = error.exitCode;
    } else if (error instanceof ApiError) {
      say(`server: ${error.message}`);
      code = error.status === 401 ? EXIT.usage : EXIT.incomplete;
    } else {
      say(`compat: ${(error as Error).stack ?? error}`);
      code = EXIT.incomplete;
    }
  }
  if (code !== null) process.exit(code);
}

await main();
