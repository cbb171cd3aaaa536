import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildJob } from '../../common/queue/jobs.js';
import { fakePorts, logText, type FakePorts } from './fake-ports.test-helper.js';
import { artifactKeyOf, buildArtifact } from './build-artifact.js';

const SHA = 'b'.repeat(40);
let ports: FakePorts;

beforeEach(() => {
  ports = fakePorts();
  ports.repos.set('/repos/lib', { refs: { 'v1.1.0': SHA }, files: { [SHA]: { 'build.sh': 'echo build\n' } } });
});

afterEach(() => rmSync(ports.config.dataDir, { recursive: true, force: true }));

function job(overrides: Partial<BuildJob['library']> = {}): BuildJob {
  return {
    kind: 'build',
    runId: 'run1',
    side: 'candidate',
    library: { name: 'lib', repo: '/repos/lib', image: 'compat-runner:bookworm', command: 'sh build.sh', timeoutSeconds: 60, ...overrides },
    ref: 'v1.1.0',
    sha: SHA,
    version: '1.1.0',
  };
}

describe('buildArtifact', () => {
  it('builds in a limited container as the runner user, and keeps the files by library and commit', async () => {
    ports.suites = [({ print, hostPath }) => {
      print('building ü');
      writeFileSync(hostPath('/compat/artifact/lib.tgz'), 'tgz');
      return { exitCode: 0 };
    }];
    const done = await buildArtifact(job(), ports);
    expect(done).toMatchObject({ kind: 'build-done', ok: true, artifactKey: artifactKeyOf('lib', SHA), files: ['lib.tgz'] });
    expect(ports.artifactStore.get(`lib-${SHA}`)?.get('lib.tgz')?.toString()).toBe('tgz');
    const spec = ports.runs[0];
    expect(spec).toMatchObject({ user: '1000:1000', timeoutMs: 60_000, labels: { 'compat.kind': 'build', 'compat.run': 'run1' } });
    expect(spec.env).toMatchObject({ COMPAT_BUILD_COMMAND: 'sh build.sh', COMPAT_ARTIFACT_DIR: '/compat/artifact', COMPAT_LIBRARY_VERSION: '1.1.0' });
    expect(spec.cmd).toEqual(['sh', '-c', 'exec sh -c "$COMPAT_BUILD_COMMAND"']);
    expect(logText(ports, 'build')).toBe('$ sh build.sh\nbuilding ü[compat-matrix] built lib.tgz\n');

    // The same commit again: reused, no container.
    expect(await buildArtifact(job(), ports)).toMatchObject({ ok: true, files: ['lib.tgz'] });
    expect(ports.runs).toHaveLength(1);
  });

  it('a build that fails, times out, or leaves nothing is not ok, with the reason', async () => {
    ports.suites = [() => ({ exitCode: 3 })];
    expect(await buildArtifact(job(), ports)).toMatchObject({ ok: false, reason: 'artifact build failed: `sh build.sh` exited with 3' });
    ports.suites = [() => ({ exitCode: 137, timedOut: true })];
    expect(await buildArtifact(job(), ports)).toMatchObject({ ok: false, reason: 'artifact build timed out after 60 s' });
    ports.suites = [() => ({ exitCode: 0 })];
    expect(await buildArtifact(job(), ports)).toMatchObject({ ok: false, reason: 'artifact build produced no files in $COMPAT_ARTIFACT_DIR' });
    expect(ports.artifactStore.size).toBe(0);
  });

  it('a link in the output is refused and nothing is stored', async () => {
    ports.suites = [({ hostPath }) => {
      writeFileSync(hostPath('/compat/artifact/lib.tgz'), 'tgz');
      symlinkSync('/etc/passwd', hostPath('/compat/artifact/leak.txt'));
      return { exitCode: 0 };
    }];
    const done = await buildArtifact(job(), ports);
    expect(done).toMatchObject({ ok: false, reason: expect.stringContaining('$COMPAT_ARTIFACT_DIR/leak.txt is a symbolic link') });
    expect(ports.artifactStore.size).toBe(0);
    expect(logText(ports, 'build')).not.toContain('root:');
  });

  it('a missing image is final; a fetch that fails is retried', async () => {
    await expect(buildArtifact(job({ image: 'nope:1' }), ports)).rejects.toMatchObject({ name: 'InfraError', retryable: false });
    ports.repos.get('/repos/lib')!.files = {};
    await expect(buildArtifact(job(), ports)).rejects.toMatchObject({ name: 'InfraError', retryable: true });
    expect(ports.runs).toHaveLength(0);
  });
});
