import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * matrix.yaml's local repositories must be in its own folder or a root the operator lists (issue 16
 * item 9). Tests write their matrices into temp folders and point them at fixture repositories made in
 * other temp folders or at examples/.repos: both roots are listed, for the tests and every process they
 * start (the processes inherit this environment). Dockerfile contexts stay in the matrix's folder.
 */
const PROJECT_ROOT = path.dirname(fileURLToPath(import.meta.url));
const env = { COMPAT_REPO_ROOTS: [os.tmpdir(), PROJECT_ROOT].join(':') };

// Unit specs live beside the code; integration tests (real Redis, Docker, git, databases) under test/.
export default defineConfig({
  test: {
    projects: [
      // Threads, not forks: the unit files need no process of their own, and starting 60 forks on 2 cores
      // was most of the project's time (38 s against 28 s).
      { test: { name: 'unit', env, pool: 'threads', include: ['common/**/*.test.ts', 'server/**/*.test.ts', 'workers/**/*.test.ts', 'cli/**/*.test.ts', 'images/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          env,
          include: ['test/**/*.test.ts'],
          exclude: ['test/faults/**'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'faults',
          env,
          include: ['test/faults/**/*.test.ts'],
          // Names the ledger the fault tests write to, and prints the suite's summary at the end.
          globalSetup: ['test/faults/global-setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
