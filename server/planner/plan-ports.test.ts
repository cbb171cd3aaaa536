/** The planner on fake ports: what it asks the repository and the registry, and how it says what failed. */
import { describe, expect, it } from 'vitest';
import type { PublishedFile } from '../../common/registry/published.js';
import { fakePorts, fakeSha } from '../testing/fakes.js';
import { LIBRARY_REPO, matrixOf } from '../testing/harness.js';
import { planRun, PlanError } from './plan.js';

const file = (version: string): PublishedFile => ({
  registry: 'npm',
  name: 'lib',
  version,
  published: version,
  url: `https://registry.example/lib/-/lib-${version}.tgz`,
  filename: `lib-${version}.tgz`,
  digest: { algorithm: 'sha512', hex: `d${version.replaceAll('.', '')}`.padEnd(128, '0') },
});

function setup(npm?: string) {
  const ports = fakePorts();
  ports.repos.add(LIBRARY_REPO, { commits: [{ sha: fakeSha('c0') }, { sha: fakeSha('c1') }], tags: { 'v1.0.0': fakeSha('c0'), 'v1.1.0': fakeSha('c1') } });
  const plan = (request: { candidate: string; baseline?: string }) => planRun(matrixOf({ npm, backends: ['sqlite', 'postgres'] }), { library: 'lib', ...request }, { repos: ports.repos, registry: ports.registry, trigger: 'cli' });
  return { ports, plan };
}

describe('planRun on fake ports', () => {
  it('keys every cell by consumer and backend, and resolves both sides in the repository', async () => {
    const { plan } = setup();
    const { run, cells } = await plan({ candidate: 'v1.1.0' });
    expect(cells.map((c) => [c.id, c.consumer, c.backend])).toEqual([
      ['app.sqlite', 'app', 'sqlite'],
      ['app.postgres', 'app', 'postgres'],
    ]);
    expect(run).toMatchObject({ baseline: 'v1.0.0', candidateSha: fakeSha('c1'), baselineSha: fakeSha('c0'), baselineSource: 'tag', meta: { ownBaseline: true } });
  });

  it('takes the registry\'s highest version below the candidate as the baseline of a library with registry:', async () => {
    const { ports, plan } = setup('lib');
    ports.registry.files.set('lib', [file('0.9.0'), file('1.0.0'), file('1.2.0')]);
    const { run } = await plan({ candidate: 'v1.1.0' });
    // A published file has no commit: its digest stays in the meta, never in a commit field (issue 23 item 2).
    expect(run).toMatchObject({ baseline: 'npm:lib@1.0.0', baselineVersion: '1.0.0', baselineSha: null, baselineSource: 'registry', meta: { baselineFile: file('1.0.0'), ownBaseline: true } });
  });

  it('takes a published version named as the baseline: the default\'s file is own, another one is not', async () => {
    const { ports, plan } = setup('lib');
    ports.registry.files.set('lib', [file('0.9.0'), file('1.0.0'), file('1.2.0')]);
    const named = await plan({ candidate: 'v1.1.0', baseline: 'npm:lib@0.9.0' });
    expect(named.run).toMatchObject({ baseline: 'npm:lib@0.9.0', baselineVersion: '0.9.0', baselineSha: null, baselineSource: 'registry', meta: { baselineFile: file('0.9.0'), ownBaseline: false } });
    const same = await plan({ candidate: 'v1.1.0', baseline: 'npm:lib@1.0.0' });
    expect(same.run).toMatchObject({ baselineSource: 'registry', meta: { baselineFile: file('1.0.0'), ownBaseline: true } });
  });

  it('takes a published version of a library without registry:, never as its own baseline', async () => {
    const { ports, plan } = setup();
    ports.registry.files.set('lib', [file('1.0.0')]);
    const { run } = await plan({ candidate: 'v1.1.0', baseline: 'npm:lib@1.0.0' });
    expect(run).toMatchObject({ baseline: 'npm:lib@1.0.0', baselineSha: null, baselineSource: 'registry', meta: { baselineFile: file('1.0.0'), ownBaseline: false } });
  });

  it('refuses a published version the registry does not list, or a registry that does not answer, naming the baseline', async () => {
    const { ports, plan } = setup('lib');
    ports.registry.files.set('lib', [file('0.9.0'), file('1.0.0')]);
    await expect(plan({ candidate: 'v1.1.0', baseline: 'npm:lib@0.9.5' })).rejects.toThrow(new PlanError('baseline', 'npm publishes no version 0.9.5 of lib (its latest: 0.9.0, 1.0.0)'));
    await expect(plan({ candidate: 'v1.1.0', baseline: 'npm:lib' })).rejects.toMatchObject({ field: 'baseline', message: expect.stringContaining('npm:NAME@VERSION') });
    ports.registry.down = true;
    await expect(plan({ candidate: 'v1.1.0', baseline: 'npm:lib@1.0.0' })).rejects.toThrow(new PlanError('baseline', 'npm did not answer for lib: registry unreachable'));
  });

  it('names the field at fault: a registry that does not answer, a ref the repository lacks, a repository it cannot read', async () => {
    const { ports, plan } = setup('lib');
    ports.registry.down = true;
    await expect(plan({ candidate: 'v1.1.0' })).rejects.toThrow(new PlanError('baseline', 'the registry did not answer: registry unreachable; give a baseline tag'));
    await expect(plan({ candidate: 'v9.9.9', baseline: 'v1.0.0' })).rejects.toMatchObject({ field: 'candidate' });
    const other = fakePorts();
    await expect(planRun(matrixOf(), { library: 'lib', candidate: 'v1.1.0' }, { repos: other.repos, registry: other.registry, trigger: 'cli' })).rejects.toMatchObject({ field: 'library' });
  });
});
