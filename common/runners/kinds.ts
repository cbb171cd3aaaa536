/** The runner presets a consumer may name (`runner:`), in the schema and everywhere else from here. */
export const RUNNER_KINDS = ['pytest', 'mocha', 'jest', 'vitest', 'node-test', 'go-test', 'custom'] as const;
export type RunnerKind = (typeof RUNNER_KINDS)[number];

/** A preset other than `custom` can select tests itself: no `rerun` command is needed for a targeted re-run. */
export function selectsTests(runner: RunnerKind | undefined): boolean {
  return runner !== undefined && runner !== 'custom';
}
