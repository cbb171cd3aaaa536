/**
 * `compat quarantine add|remove|list` (issue 21 item 3), through the server's API like every command
 * but `tokens`: add and remove need a write token.
 */
import type { Command } from 'commander';
import type { Config } from '../common/config.js';
import { untilInstant } from '../common/quarantine/entry.js';
import { ApiError, Client } from './client.js';
import { EXIT, UsageError } from './exit-codes.js';

type Act = <A extends unknown[]>(fn: (...args: A) => number | null | Promise<number | null>) => (...args: A) => Promise<void>;

/** A 400 (an unknown consumer, a date gone by) is the user's: exit 2; a 404 on remove: 4. */
function usage(error: unknown): never {
  if (error instanceof ApiError && error.status === 400) throw new UsageError(error.message, EXIT.usage);
  if (error instanceof ApiError && error.status === 404) throw new UsageError(error.message, EXIT.unknown);
  throw error;
}

export function quarantineCommands(program: Command, config: Config, act: Act, print: (text: string) => void): void {
  const quarantine = program.command('quarantine').description("a consumer's known-broken test: still runs and is shown with its reason, never blocks until --until");
  quarantine
    .command('add')
    .argument('<testId>', "the test's id as the cell lists it (JUnit classname::name)")
    .requiredOption('--library <name>')
    .requiredOption('--consumer <name>')
    .requiredOption('--reason <text>')
    .requiredOption('--until <date>', 'YYYY-MM-DD (through that day, UTC) or an ISO 8601 instant')
    .action(
      act(async (test: string, opts: { library: string; consumer: string; reason: string; until: string }) => {
        if (!untilInstant(opts.until)) throw new UsageError(`--until: "${opts.until}" is not a date (YYYY-MM-DD) or an ISO 8601 instant`);
        const entry = await Client.for(config).quarantineAdd({ library: opts.library, consumer: opts.consumer, test, reason: opts.reason, until: opts.until }).catch(usage);
        print(`quarantined ${entry.test} (${entry.library}, ${entry.consumer}) until ${entry.until}: ${entry.reason}\n`);
        return EXIT.ok;
      }),
    );
  quarantine
    .command('remove')
    .argument('<testId>')
    .requiredOption('--library <name>')
    .requiredOption('--consumer <name>')
    .action(
      act(async (test: string, opts: { library: string; consumer: string }) => {
        await Client.for(config).quarantineRemove({ library: opts.library, consumer: opts.consumer, test }).catch(usage);
        print(`removed the quarantine of ${test} (${opts.library}, ${opts.consumer})\n`);
        return EXIT.ok;
      }),
    );
  quarantine
    .command('list')
    .option('--library <name>')
    .option('--consumer <name>')
    .option('--json')
    .action(
      act(async (opts: { library?: string; consumer?: string; json?: boolean }) => {
        const list = await Client.for(config).quarantineList({ library: opts.library, consumer: opts.consumer });
        if (opts.json) print(`${JSON.stringify(list, null, 2)}\n`);
        else for (const q of list) print(`${q.library}\t${q.consumer}\t${q.test}\t${q.active ? 'until' : 'expired'} ${q.until}\t${q.source === 'matrix' ? 'matrix.yaml' : q.by}\t${q.reason}\n`);
        return EXIT.ok;
      }),
    );
}
