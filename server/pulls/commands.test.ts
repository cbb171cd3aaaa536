import { describe, expect, it } from 'vitest';
import { parseCommand, words } from './commands.js';

describe('/compat commands', () => {
  it('parse as the CLI\'s options do', () => {
    expect(parseCommand('/compat run --consumer py-inventory --consumer js-ledger --backend mysql')).toEqual({ command: { kind: 'run', consumers: ['py-inventory', 'js-ledger'], backends: ['mysql'] } });
    expect(parseCommand('/compat run\n\nplease, after the fix')).toEqual({ command: { kind: 'run', consumers: [], backends: [] } });
    expect(parseCommand('/compat run --baseline npm:quarry@1.0.0')).toEqual({ command: { kind: 'run', consumers: [], backends: [], baseline: 'npm:quarry@1.0.0' } });
    expect(parseCommand('/compat run --baseline pypi:quarry==1.0.0 --consumer py-inventory')).toEqual({ command: { kind: 'run', consumers: ['py-inventory'], backends: [], baseline: 'pypi:quarry==1.0.0' } });
    expect(parseCommand('/compat bisect py-inventory.mysql')).toEqual({ command: { kind: 'bisect', cell: 'py-inventory.mysql' } });
    expect(parseCommand('/compat accept app.mysql --reason "the row alias is intended" --until 2027-01-01')).toEqual({
      command: { kind: 'accept', cell: 'app.mysql', reason: 'the row alias is intended', tests: [], until: '2027-01-01' },
    });
  });

  it('a malformed command gets commander\'s error, as on the command line', () => {
    expect(parseCommand('/compat run --nope')).toEqual({ error: "error: unknown option '--nope'" });
    expect(parseCommand('/compat frobnicate')).toEqual({ error: "error: unknown command 'frobnicate'" });
    expect(parseCommand('/compat bisect')).toEqual({ error: "error: missing required argument 'cell'" });
    expect(parseCommand('/compat accept app.mysql')).toEqual({ error: "error: required option '--reason <text>' not specified" });
    expect(parseCommand('/compat run --backend oracle')).toEqual({ error: 'error: unknown backend "oracle" (one of sqlite, mysql, postgres)' });
    // The CLI's own words for a baseline it refuses (cli/main.ts: `--baseline: ...`).
    expect(parseCommand('/compat run --baseline npm:quarry')).toEqual({ error: 'error: --baseline: "npm:quarry" names no version: write npm:NAME@VERSION, e.g. npm:knex@0.95.15' });
    expect(parseCommand('/compat run --baseline "v1..0"')).toMatchObject({ error: expect.stringMatching(/^error: --baseline: not a valid git ref/) });
    expect(parseCommand('/compat')).toMatchObject({ error: expect.stringContaining('a command is needed') });
  });

  it('a comment that does not start with /compat is no command', () => {
    expect(parseCommand('LGTM')).toBeNull();
    expect(parseCommand('see /compat run')).toBeNull();
    expect(parseCommand('/compatible?')).toBeNull();
  });

  it('splits words as a shell would, quotes and escapes, no expansion', () => {
    expect(words(` a "b c" 'd "e"' "f\\"g" $HOME`)).toEqual(['a', 'b c', 'd "e"', 'f"g', '$HOME']);
    expect(words('"open')).toEqual({ error: 'error: unterminated double quote' });
  });
});
