/** The planner on real git repositories: tags made out of order, prereleases, SQLAlchemy-style names. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRepo } from '../../test/helpers/git-fixtures.js';
import { parseMatrix } from '../../common/matrix/load.js';
import { httpRegistry, mirrorRepositories } from '../adapters.js';
import { planRun, PlanError } from './plan.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Created in this order on purpose: creation order and name order both disagree with semver.
const repo = makeRepo(path.join(dir, 'sqla'), ['rel_1_3_9', 'rel_1_4_0', 'rel_1_3_24', 'rel_1_4_0b1', 'rel_1_3_10', 'rel_2_0_0b3'].map((tag) => ({ tag, files: { 'VERSION': tag } })));
const matrix = parseMatrix(
  `version: 1
libraries:
  - name: sqlalchemy
    repo: ${repo}
    tags: rel_{major}_{minor}_{patch}{pre}
    build: { image: compat-runner:bookworm, command: make }
    consumers:
      - { name: nova, repo: ${repo}, ref: main, image: compat-runner:bookworm, installCandidate: "true", test: "true", backends: [sqlite, mysql, postgres] }
      - { name: keystone, repo: ${repo}, ref: main, image: compat-runner:bookworm, installCandidate: "true", test: "true", backends: [sqlite, postgres] }
`,
  'matrix.yaml',
);
const plan = (request: Parameters<typeof planRun>[1]) => planRun(matrix, request, { repos: mirrorRepositories(path.join(dir, 'data')), registry: httpRegistry(), trigger: 'cli' });

describe('planRun', () => {
  it('expands every consumer x backend it declares into one cell each', async () => {
    const { run, cells } = await plan({ library: 'sqlalchemy', candidate: 'rel_1_4_0' });
    expect(cells.map((c) => c.id)).toEqual(['nova.sqlite', 'nova.mysql', 'nova.postgres', 'keystone.sqlite', 'keystone.postgres']);
    // 1.4.0's baseline is the highest release below it: 1.3.24, not 1.3.9 (by name) nor 1.3.10 (made last).
    expect(run).toMatchObject({ baseline: 'rel_1_3_24', baselineVersion: '1.3.24', candidateVersion: '1.4.0' });
  });

  it('gives a prerelease candidate the latest stable release as its baseline', async () => {
    expect((await plan({ library: 'sqlalchemy', candidate: 'rel_1_4_0b1' })).run.baseline).toBe('rel_1_3_24');
    expect((await plan({ library: 'sqlalchemy', candidate: 'rel_2_0_0b3' })).run.baseline).toBe('rel_1_4_0');
  });

  it('filters consumers and backends, and refuses a selection with nothing to run', async () => {
    const { cells } = await plan({ library: 'sqlalchemy', candidate: 'rel_1_4_0', consumers: ['keystone'], backends: ['postgres', 'mysql'] });
    expect(cells.map((c) => c.id)).toEqual(['keystone.postgres']);
    await expect(plan({ library: 'sqlalchemy', candidate: 'rel_1_4_0', consumers: ['keystone'], backends: ['mysql'] })).rejects.toThrow(PlanError);
    await expect(plan({ library: 'sqlalchemy', candidate: 'rel_1_4_0', consumers: ['glance'] })).rejects.toThrow(/consumers: unknown consumer "glance"/);
  });

  it('keeps an explicit baseline and names the field at fault', async () => {
    expect((await plan({ library: 'sqlalchemy', candidate: 'rel_1_4_0', baseline: 'rel_1_3_9' })).run.baseline).toBe('rel_1_3_9');
    await expect(plan({ library: 'sqlalchemy', candidate: 'rel_1_3_9' })).rejects.toThrow(/baseline: no release of sqlalchemy below 1.3.9/);
    await expect(plan({ library: 'sqlalchemy', candidate: 'rel_9_9_9' })).rejects.toThrow(/^candidate: /);
    await expect(plan({ library: 'alembic', candidate: 'rel_1_4_0' })).rejects.toThrow(/^library: unknown library "alembic"/);
  });

  it("marks a run as against the version's own baseline only when its baseline is the default's commit", async () => {
    const own = async (baseline?: string) => (await plan({ library: 'sqlalchemy', candidate: 'rel_1_4_0', baseline })).run.meta?.ownBaseline;
    expect(await own()).toBe(true);
    expect(await own('rel_1_3_24')).toBe(true);
    expect(await own('rel_1_3_9')).toBe(false);
    expect(await own('rel_1_4_0')).toBe(false);
  });
});
