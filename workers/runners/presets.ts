/**
 * Runner presets (`runner:` on a consumer): one implementation per runner, picked from PRESETS, so the
 * side's code never branches on the kind. A preset never touches the consumer's `test` command: it adds
 * variables its runner already reads (PYTEST_ADDOPTS, NODE_OPTIONS, GOFLAGS) that load a small helper
 * from PRESET_DIR, and hands the helper the tests or files to run in a JSON file there. No id or file
 * name is ever part of a shell line; patterns are built here, where they are unit-tested.
 */
import { readFileSync } from 'node:fs';
import { CELL_PATHS } from '../../common/cell-env.js';
import { exactAlternation, goFlag, goRunPattern, splitId, titlePattern } from './escape.js';
import type { RunnerKind } from '../../common/runners/kinds.js';

/** Where the preset's files are in the test container (the side's rerun folder, mounted read-only). */
export const PRESET_DIR = '/compat/rerun/preset';
/** The JUnit file a preset writes when the command writes none. */
export const PRESET_JUNIT = `${CELL_PATHS.results}/compat-preset.xml`;

/** What to run: only these test ids (as JUnit gave them), only these files (relative to the workdir), or both unset: all. */
export interface Selection {
  ids?: string[];
  files?: string[];
}

export interface PresetInvocation {
  /** Added to the test container's environment, after the consumer's own `env` (which it extends, never drops). */
  env: Record<string, string>;
  /** Files written into PRESET_DIR, by name. */
  files: Record<string, string>;
}

export interface RunnerPreset {
  readonly kind: Exclude<RunnerKind, 'custom'>;
  invocation(selection: Selection, consumerEnv: Record<string, string>): PresetInvocation;
}

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

/** A variable the consumer may set too: ours goes first, theirs is kept after it. */
function extend(consumerEnv: Record<string, string>, name: string, ours: string, separator: string): string {
  const theirs = consumerEnv[name];
  return theirs ? `${ours}${separator}${theirs}` : ours;
}

const pytest: RunnerPreset = {
  kind: 'pytest',
  invocation(selection, consumerEnv) {
    return {
      env: {
        PYTHONPATH: extend(consumerEnv, 'PYTHONPATH', PRESET_DIR, ':'),
        PYTEST_ADDOPTS: extend(consumerEnv, 'PYTEST_ADDOPTS', '-p compat_preset_pytest', ' '),
        COMPAT_PRESET_SELECT: `${PRESET_DIR}/select.json`,
        COMPAT_PRESET_JUNIT: PRESET_JUNIT,
      },
      // pytest matches ids itself (node ids and the JUnit ids its junitxml makes of them): no pattern.
      files: { 'compat_preset_pytest.py': asset('compat_preset_pytest.py'), 'select.json': JSON.stringify({ ids: selection.ids ?? null, files: selection.files ?? null }) },
    };
  },
};

/** What the Node helper (assets/compat-preset-node.cjs) reads: the runner, and the arguments it adds. */
export interface NodePresetArgs {
  runner: 'mocha' | 'jest' | 'vitest' | 'node-test';
  /** mocha: a `--grep` regex and the files to keep, applied to the Mocha instance. */
  grep?: string | null;
  files?: string[] | null;
  /** jest, vitest, node --test: arguments added to the runner's command line. */
  append?: string[];
  junit: string;
}

/** The helper every Node preset loads, and the reporter jest and node --test get when the command names none. */
const NODE_ASSETS: Record<NodePresetArgs['runner'], () => Record<string, string>> = {
  mocha: () => ({ 'compat-preset-node.cjs': asset('compat-preset-node.cjs') }),
  vitest: () => ({ 'compat-preset-node.cjs': asset('compat-preset-node.cjs') }),
  jest: () => ({ 'compat-preset-node.cjs': asset('compat-preset-node.cjs'), 'compat-preset-jest.cjs': asset('compat-preset-jest.cjs') }),
  'node-test': () => ({ 'compat-preset-node.cjs': asset('compat-preset-node.cjs'), 'compat-preset-node-reporter.mjs': asset('compat-preset-node-reporter.mjs') }),
};

function nodePreset(kind: NodePresetArgs['runner'], args: (selection: Selection) => Omit<NodePresetArgs, 'runner' | 'junit'>): RunnerPreset {
  return {
    kind,
    invocation(selection, consumerEnv) {
      const config: NodePresetArgs = { runner: kind, junit: PRESET_JUNIT, ...args(selection) };
      return {
        env: {
          NODE_OPTIONS: extend(consumerEnv, 'NODE_OPTIONS', `--require ${PRESET_DIR}/compat-preset-node.cjs`, ' '),
          COMPAT_PRESET_ARGS: `${PRESET_DIR}/args.json`,
        },
        files: { ...NODE_ASSETS[kind](), 'args.json': JSON.stringify(config) },
      };
    },
  };
}


const PRESETS: Record<RunnerPreset['kind'], RunnerPreset> = {
  pytest,
  mocha: nodePreset('mocha', (s) => ({ grep: s.ids?.length ? titlePattern(s.ids) : null, files: s.files ?? null })),
  jest: nodePreset('jest', (s) => ({
    append: [...(s.ids?.length ? ['--testNamePattern', titlePattern(s.ids)] : []), ...(s.files?.length ? ['--runTestsByPath', ...s.files] : [])],
  })),
  vitest: nodePreset('vitest', (s) => ({
    // vitest's positional arguments are path filters (substrings): each file as its whole relative path.
    append: [...(s.ids?.length ? ['--testNamePattern', titlePattern(s.ids)] : []), ...(s.files ?? [])],
  })),
  'node-test': nodePreset('node-test', (s) => ({
    // node --test matches a pattern against each test's own name; a suite runs when a test in it matches.
    append: [...(s.ids?.length ? [`--test-name-pattern=${exactAlternation(s.ids.map((id) => splitId(id).name))}`] : []), ...(s.files ?? [])],
  })),
  'go-test': {
    kind: 'go-test',
    invocation(selection, consumerEnv): PresetInvocation {
      // go test writes no JUnit: the command pipes `go test -json` through gotestsum or go-junit-report.
      const run = selection.ids?.length ? [goFlag('run', goRunPattern(selection.ids))] : [];
      return { env: run.length ? { GOFLAGS: extend(consumerEnv, 'GOFLAGS', run.join(' '), ' ') } : {}, files: {} };
    },
  },
};

/** The preset of a consumer's `runner`, or null for `custom` and none (the commands as written). */
export function presetFor(runner: RunnerKind | undefined): RunnerPreset | null {
  return runner && runner !== 'custom' ? PRESETS[runner] : null;
}
