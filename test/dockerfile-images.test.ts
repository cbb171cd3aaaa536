/**
 * Consumer and build images from a Dockerfile, on the real engine: built once through the build API and
 * reused while the context is unchanged, built again when it changes, and a failing build is `error`
 * with its log, never a test failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocker } from '../common/docker/engine.js';
import { fixtureConsumer, fixtureLibrary } from './helpers/git-fixtures.js';
import { startStack, writeMatrix, type Stack } from './helpers/stack.js';

let stack: Stack;
const docker = createDocker();
/** Unique per test run: the images this file builds are found (and removed) by it. */
const slug = `img-${randomBytes(4).toString('hex')}`;
let consumerContext: string;

function matrix(dir: string): string {
  const lib = fixtureLibrary(path.join(dir, 'repos', 'fixlib'), [
    ['v1.0.0', 'ok'],
    ['v1.1.0', 'ok'],
  ]);
  const app = fixtureConsumer(path.join(dir, 'repos', 'app'));
  consumerContext = path.join(dir, `${slug}-consumer`);
  mkdirSync(consumerContext, { recursive: true });
  // The suite refuses to run unless the image was really built from this context.
  writeFileSync(path.join(consumerContext, 'Dockerfile'), 'FROM compat-runner:bookworm\nCOPY toolchain.txt /opt/toolchain.txt\n');
  writeFileSync(path.join(consumerContext, 'toolchain.txt'), 'toolchain 1\n');
  const buildContext = path.join(dir, `${slug}-build`);
  mkdirSync(path.join(buildContext, 'docker'), { recursive: true });
  writeFileSync(path.join(buildContext, 'docker', 'Build.Dockerfile'), 'FROM compat-runner:bookworm\nCOPY docker/stamp /opt/stamp\n');
  writeFileSync(path.join(buildContext, 'docker', 'stamp'), 'built by a Dockerfile\n');
  const brokenContext = path.join(dir, `${slug}-broken`);
  mkdirSync(brokenContext, { recursive: true });
  writeFileSync(path.join(brokenContext, 'Dockerfile'), 'FROM compat-runner:bookworm\nRUN echo "installing the toolchain" && echo "E: Unable to locate package no-such-toolchain" && exit 100\n');
  return writeMatrix(
    dir,
    `version: 1
defaults: { reruns: 0 }
libraries:
  - name: fixlib
    repo: ${lib}
    build:
      image: { dockerfile: ${slug}-build/docker/Build.Dockerfile, context: ${slug}-build }
      command: test -f /opt/stamp && sh build.sh
      timeoutSeconds: 120
    consumers:
      - name: app
        repo: ${app}
        ref: v1.0.0
        image: { dockerfile: ${slug}-consumer/Dockerfile }
        installCandidate: grep -q toolchain /opt/toolchain.txt
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 60
      - name: broken
        repo: ${app}
        ref: v1.0.0
        image: { dockerfile: ${slug}-broken/Dockerfile, context: ${slug}-broken }
        installCandidate: "true"
        test: sh run-tests.sh
        backends: [sqlite]
        timeoutSeconds: 60
`,
  );
}

async function run(consumer: string) {
  const created = await stack.api('POST', '/api/runs', { library: 'fixlib', candidate: 'v1.1.0', baseline: 'v1.0.0', consumers: [consumer] });
  expect(created.status).toBe(201);
  return stack.waitForRun(created.body.id);
}

async function logs(runId: string, cellId: string): Promise<string> {
  const sides = await Promise.all(['candidate', 'baseline'].map((side) => stack.api('GET', `/api/runs/${runId}/cells/${cellId}/logs?side=${side}`)));
  return sides.map((s) => String(s.body)).join('\n');
}

async function imagesOfThisTest(): Promise<Array<{ tag: string; id: string }>> {
  const list = await docker.listImages({ filters: { label: ['compat.kind=image'] } });
  return list.flatMap((image) => (image.RepoTags ?? []).filter((tag) => tag.includes(slug)).map((tag) => ({ tag, id: image.Id })));
}

beforeAll(async () => {
  stack = await startStack({ matrix, concurrency: 2 });
});

afterAll(async () => {
  await stack?.close();
  for (const { tag } of await imagesOfThisTest()) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
});

describe('images from a Dockerfile', () => {
  it('builds a consumer image and a library build image once, reuses them, and builds again when the context changes', async () => {
    const first = await run('app');
    expect(first.cells[0]).toMatchObject({ verdict: 'pass', candidate: { status: 'passed', tests: { passed: 3 } } });
    const built = await imagesOfThisTest();
    const consumerImage = built.find((i) => i.tag.includes(`${slug}-consumer`))!;
    expect(consumerImage).toBeDefined();
    expect(built.some((i) => i.tag.includes(`${slug}-build`))).toBe(true);
    expect(await logs(first.id, 'app.sqlite')).toContain(`building image ${consumerImage.tag}`);
    const buildLog = await fetch(`${stack.server.url}/api/runs/${first.id}/builds/candidate/logs`).then((r) => r.text());
    expect(buildLog).toMatch(/image compat-dockerfile\/img-[0-9a-f]+-build:[0-9a-f]+/);

    const second = await run('app');
    expect(second.cells[0].verdict).toBe('pass');
    const again = await logs(second.id, 'app.sqlite');
    expect(again).toContain(`image ${consumerImage.tag}`);
    expect(again).toContain('reused');
    expect(again).not.toContain('building image');
    expect((await imagesOfThisTest()).find((i) => i.tag === consumerImage.tag)?.id).toBe(consumerImage.id);

    writeFileSync(path.join(consumerContext, 'toolchain.txt'), 'toolchain 2\n');
    const third = await run('app');
    expect(third.cells[0].verdict).toBe('pass');
    const rebuilt = (await imagesOfThisTest()).filter((i) => i.tag.includes(`${slug}-consumer`));
    expect(rebuilt.length).toBe(2);
    const newTag = rebuilt.find((i) => i.tag !== consumerImage.tag)!.tag;
    expect(await logs(third.id, 'app.sqlite')).toContain(`building image ${newTag}`);
  });

  it('a failing image build is an error with the build log, never a test failure', async () => {
    const r = await run('broken');
    expect(r.verdict).toBe('incomplete');
    expect(r.cells[0]).toMatchObject({ verdict: 'error', candidate: { status: 'error', reason: expect.stringContaining('image build failed') } });
    expect(r.cells[0].candidate.reason).toContain('returned a non-zero code: 100');
    const log = await logs(r.id, 'broken.sqlite');
    expect(log).toContain('installing the toolchain');
    expect(log).toContain('E: Unable to locate package no-such-toolchain');
  });
});
