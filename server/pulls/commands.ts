/**
 * `/compat run|bisect|accept` in a PR comment (issue 18 item 2), parsed by commander with the options
 * the CLI declares for the same commands (cli/main.ts), so a mistake reads as it does on the command
 * line ("error: unknown option '--x'"). Only the first line of a comment that starts with `/compat`
 * is a command; the rest of the comment is prose.
 */
import { Command, CommanderError } from 'commander';
import { baselineRefProblem } from '../../common/registry/baseline-ref.js';
import { BACKENDS, type Backend } from '../../common/types.js';

export type PullCommand =
  /** `baseline`: a tag, npm:NAME@VERSION or pypi:NAME==VERSION, as the CLI's `--baseline` (issue 23). */
  | { kind: 'run'; consumers: string[]; backends: Backend[]; baseline?: string }
  | { kind: 'bisect'; cell: string }
  | { kind: 'accept'; cell: string; reason: string; until?: string; tests: string[] };

export type Parsed = { command: PullCommand } | { error: string } | null;

/** Splits a line as a shell would for words and quotes (no expansion): `--reason "a b"` is two words. */
export function words(line: string): string[] | { error: string } {
  const out: string[] = [];
  let current: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current ??= '';
    } else if (/\s/.test(ch)) {
      if (current !== null) out.push(current);
      current = null;
    } else {
      current = (current ?? '') + ch;
    }
  }
  if (quote) return { error: `error: unterminated ${quote === '"' ? 'double' : 'single'} quote` };
  if (current !== null) out.push(current);
  return out;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The command in a comment, the CLI's error for a malformed one, or null when the comment has none. */
export function parseCommand(body: string): Parsed {
  const line = body.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  if (!/^\/compat(\s|$)/.test(line)) return null;
  const argv = words(line.slice('/compat'.length));
  if (!Array.isArray(argv)) return argv;
  let result: PullCommand | null = null;
  let output = '';
  const program = new Command('/compat')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void (output += s), writeErr: (s) => void (output += s) })
    .showHelpAfterError(false);
  program
    .command('run')
    .description('run the matrix on this pull request\'s head')
    .option('--consumer <name>', 'only this consumer (repeatable)', collect)
    .option('--backend <backend>', 'only this backend (repeatable)', collect)
    .option('--baseline <ref>', 'a tag, npm:NAME@VERSION or pypi:NAME==VERSION (default: as matrix.yaml\'s pullRequests.baseline says)')
    .action((opts: { consumer?: string[]; backend?: string[]; baseline?: string }) => {
      const bad = (opts.backend ?? []).find((b) => !(BACKENDS as readonly string[]).includes(b));
      if (bad) throw new CommanderError(2, 'compat.backend', `error: unknown backend "${bad}" (one of ${BACKENDS.join(', ')})`);
      // The CLI's parser and words (cli/main.ts): the same text is refused the same way.
      const baselineProblem = opts.baseline === undefined ? null : baselineRefProblem(opts.baseline);
      if (baselineProblem) throw new CommanderError(2, 'compat.baseline', `error: --baseline: ${baselineProblem}`);
      result = { kind: 'run', consumers: opts.consumer ?? [], backends: (opts.backend ?? []) as Backend[], ...(opts.baseline ? { baseline: opts.baseline } : {}) };
    });
  program
    .command('bisect')
    .argument('<cell>', 'a regressed cell of this pull request\'s newest run')
    .action((cell: string) => {
      result = { kind: 'bisect', cell };
    });
  program
    .command('accept')
    .argument('<cell>', 'a regressed cell of this pull request\'s newest run')
    .requiredOption('--reason <text>', 'why the break is intended')
    .option('--tests <id...>', 'only these tests')
    .option('--until <date>', 'the acceptance expires then')
    .action((cell: string, opts: { reason: string; tests?: string[]; until?: string }) => {
      result = { kind: 'accept', cell, reason: opts.reason, tests: opts.tests ?? [], ...(opts.until ? { until: opts.until } : {}) };
    });
  try {
    if (argv.length === 0) return { error: 'error: a command is needed: run, bisect or accept' };
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return { error: (output.trim() || error.message).split('\n')[0] };
    throw error;
  }
  return result ? { command: result } : { error: output.trim().split('\n')[0] || 'error: nothing to do' };
}
