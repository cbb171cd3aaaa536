/**
 * `compat calibrate --library L [--consumer C]... [--runs N] [--version REF] [--wait]` (issue 21 item
 * 1): plans N runs of a release against itself; with --wait, follows them and prints the flake rates
 * they measured and the tests suggested for quarantine (never quarantined by this command).
 */
import type { Command } from 'commander';
import type { Config } from '../common/config.js';
import type { FlakesJson } from '../common/flakes/rule.js';
import { ApiError, Client } from './client.js';
import { EXIT, UsageError } from './exit-codes.js';

type Act = <A extends unknown[]>(fn: (...args: A) => number | null | Promise<number | null>) => (...args: A) => Promise<void>;

export function renderFlakes(flakes: FlakesJson): string[] {
  if (!flakes.rates.length) return ['no test failed in any calibration sample'];
  const lines = flakes.rates.map((r) => `${r.cell}\t${r.test}\tfailed ${r.failures}/${r.samples}\t(rate used ${(r.rate * 100).toFixed(1)}%)`);
  for (const c of flakes.candidates) lines.push(`quarantine candidate: ${c.cell} ${c.test} fails ${c.failures}/${c.samples}: above ${(flakes.candidateRate * 100).toFixed(0)}%, no bounded re-runs can confirm it`);
  return lines;
}

export function calibrateCommand(program: Command, config: Config, act: Act, print: (text: string) => void): void {
  program
    .command('calibrate')
    .description('run a release against itself N times per cell and record how often each test fails (flake rates)')
    .requiredOption('--library <name>')
    .option('--consumer <name...>', 'only these consumers')
    .option('--runs <n>', 'runs, each two samples per test', '10')
    .option('--version <ref>', 'the release to calibrate (default: the highest stable release tag)')
    .option('--wait', 'wait for the runs and print the rates')
    .option('--json')
    .action(
      act(async (opts: { library: string; consumer?: string[]; runs: string; version?: string; wait?: boolean; json?: boolean }) => {
        const runs = Number(opts.runs);
        if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs: "${opts.runs}" is not a whole number above 0`);
        const client = Client.for(config);
        let started;
        try {
          started = await client.calibrate({ library: opts.library, runs, ...(opts.consumer ? { consumers: opts.consumer } : {}), ...(opts.version ? { version: opts.version } : {}) });
        } catch (error) {
          if (error instanceof ApiError && error.status === 400) throw new UsageError(error.message);
          throw error;
        }
        if (!opts.json) print(`calibrating ${opts.library} ${started.version} against itself: ${started.runs.length} runs (${started.runs.join(', ')})\n`);
        if (!opts.wait) {
          if (opts.json) print(`${JSON.stringify(started, null, 2)}\n`);
          return EXIT.ok;
        }
        for (const id of started.runs) {
          while ((await client.getRun(id)).status !== 'done') await new Promise((r) => setTimeout(r, 2000));
        }
        const flakes = await client.flakes(opts.library, opts.consumer?.length === 1 ? opts.consumer[0] : undefined);
        print(opts.json ? `${JSON.stringify({ ...started, ...flakes }, null, 2)}\n` : `${renderFlakes(flakes).join('\n')}\n`);
        return EXIT.ok;
      }),
    );
}
