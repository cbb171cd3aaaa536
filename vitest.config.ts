import { defineConfig } from 'vitest/config';

// Unit specs live beside the code; integration tests (real Redis, Docker, git, databases) under test/.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['common/**/*.test.ts', 'server/**/*.test.ts', 'workers/**/*.test.ts', 'cli/**/*.test.ts', 'images/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
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
