// ESLint 9 flat config: typescript-eslint's recommended rules, and the import rules that keep the
// structure honest. Run with `npm run lint` (scripts/test.sh runs it after tsc and madge).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Third-party clients only their adapters may import (STYLE "Only adapters import bullmq, ioredis,
 * dockerode, simple-git"): everything else gets them injected, or calls the adapter's functions.
 * Type imports count too: a library's types in a signature tie that code to the library.
 */
const ADAPTERS = {
  bullmq: ['common/queue/bullmq.ts'],
  ioredis: ['common/queue/bullmq.ts', 'common/queue/redis-data.ts'],
  dockerode: [
    'common/docker/engine.ts', // connects to the engine; the server's readiness ping
    // workers/container/docker.ts is the worker's surface of these, importing none of it itself.
    'workers/container/run-container.ts', // a cell's test container, run to its end
    'workers/container/limits.ts', // watches a container's disk, refused forks, OOM kills
    'workers/container/containers.ts', // service containers: create, start, inspect, list, remove
    'workers/container/exec.ts', // commands in a running container
    'workers/container/networks.ts', // the deployment's network
    'workers/images/image-build.ts', // builds a consumer's Dockerfile image
    'workers/images/host-images.ts', // inspects images; install snapshots: commits, finds and removes the images workers make
    'images/index.ts', // pulls and inspects images
  ],
  'simple-git': ['common/git/mirror.ts'],
  // The worker's schema reader opens a cell's SQLite file (a copy of it) read-only.
  'better-sqlite3': ['server/store/*.ts', 'workers/schema/sqlite.ts'],
};

/**
 * The libraries' own names for their clients and types: imported from one of this project's modules,
 * such a name is a library type an adapter handed out, whatever the module calls it.
 */
const LIBRARY_NAMES = ['Docker', 'Dockerode', 'Redis', 'Job', 'Queue', 'Worker', 'SimpleGit'];
const LIBRARY_NAMES_PATTERN = `^(${LIBRARY_NAMES.join('|')})$`;

const restrictedLibraries = (allowed = []) => [
  'error',
  {
    paths: Object.keys(ADAPTERS)
      .filter((name) => !allowed.includes(name))
      .map((name) => ({ name, message: `only its adapters import ${name} (${ADAPTERS[name].join(', ')}); use them` })),
    patterns: [
      {
        regex: '^\\.',
        importNamePattern: LIBRARY_NAMES_PATTERN,
        message: "a library's client or type re-exported by an adapter; use the adapter's own interface (ContainerEngine, Queues, RedisData...)",
      },
    ],
  },
];

/**
 * Adapters hand out interfaces of their own: none re-exports a library (`export ... from 'dockerode'`), an
 * imported name (`export type { Docker }`: adapters export what they declare), or aliases a library type.
 */
const LIBRARY_SOURCE = `/^(${Object.keys(ADAPTERS).join('|')})($|\\/)/`;
const REEXPORT = "an adapter exports interfaces of its own, not a library's types or clients";
const noReexports = [
  'error',
  { selector: `ExportNamedDeclaration[source.value=${LIBRARY_SOURCE}]`, message: REEXPORT },
  { selector: `ExportAllDeclaration[source.value=${LIBRARY_SOURCE}]`, message: REEXPORT },
  { selector: `ExportNamedDeclaration > TSTypeAliasDeclaration > TSTypeReference.typeAnnotation > Identifier.typeName[name=/${LIBRARY_NAMES_PATTERN}/]`, message: REEXPORT },
];
const noAdapterReexports = [...noReexports, { selector: 'ExportNamedDeclaration[source=null][declaration=null]', message: REEXPORT }];

/** One config object per adapter file, naming the libraries that file may import. */
const adapterFiles = [...new Set(Object.values(ADAPTERS).flat())].map((file) => ({
  files: [file],
  rules: {
    'no-restricted-imports': restrictedLibraries(Object.keys(ADAPTERS).filter((name) => ADAPTERS[name].includes(file))),
    'no-restricted-syntax': noAdapterReexports,
  },
}));

/**
 * Which way the edges between the top folders go. A separate rule name from the one above, so the two
 * sets of overrides do not replace each other.
 */
/** A unit test's doubles sit beside it as `*.test-helper.ts`: tests import them, the product never does. */
const NOT_TEST_HELPERS = ['\\.test-helper(\\.js)?$', 'a *.test-helper.ts is a test double: only tests import it'];
const edges = (...rules) => ['error', { patterns: [...rules, NOT_TEST_HELPERS].map(([regex, message]) => ({ regex, message })) }];
const NOT_WORKERS = ['(^|/)workers/', 'the server does not import the worker; share it through common/'];
const NOT_SERVER = ['(^|/)server/', 'the worker does not import the server; results go back through the queue'];
const NOT_STORE = ['(^|/)server/store/', 'the CLI reads through the HTTP API (cli/client.ts); token admin lives in cli/local-admin.ts'];
const NOT_APPS = ['(^|/)(server|workers|cli)/', 'common/ is shared by server, workers and CLI; it imports none of them'];
const NOT_SERVER_TYPES = ['(^|/)(server|workers)/', 'the dashboard reads the API through the types of common/wire.ts, not the server\'s code'];
const NOT_FAKES = ['(^|/)testing/', 'the fakes are for unit tests; the product wires the real adapters (server/adapters.ts)'];

export default defineConfig(
  // examples/*/ are the demo's consumer and library sources, not this project's code.
  { ignores: ['node_modules/', 'dashboards/dist/', 'examples/*/', '.compat/', '**/*.d.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  { files: ['**/*.js'], languageOptions: { globals: globals.node } },
  // Consumer suites the integration tests run in containers (test/bisect-real-suites.test.ts): mocha's
  // globals, CommonJS.
  {
    files: ['test/fixtures/**/*.{js,cjs}', 'workers/runners/assets/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.mocha } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': restrictedLibraries(),
      'no-restricted-syntax': noReexports,
      // Express tells an error handler by its four parameters: `_next` must be declared, unused.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...adapterFiles,
  { files: ['server/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': edges(NOT_WORKERS, NOT_FAKES) } },
  { files: ['server/testing/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': edges(NOT_WORKERS) } },
  { files: ['workers/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': edges(NOT_SERVER) } },
  { files: ['cli/**/*.ts'], ignores: ['cli/local-admin.ts'], rules: { '@typescript-eslint/no-restricted-imports': edges(NOT_STORE) } },
  { files: ['common/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': edges(NOT_APPS) } },
  { files: ['dashboards/src/**/*.{ts,tsx}'], rules: { '@typescript-eslint/no-restricted-imports': edges(NOT_SERVER_TYPES) } },
  {
    // Tests and benchmarks reach the real parts directly to set them up and check them (Redis keys,
    // containers by label); that is their job, not a leak. An HTTP answer's body in a test is any JSON
    // the assertions then pin down; typing it first would only restate them.
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.test.ts', '**/*.test-helper.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': 'off',
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
