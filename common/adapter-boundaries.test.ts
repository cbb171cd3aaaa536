/**
 * The lint rule behind STYLE's "Only adapters import bullmq, ioredis, dockerode, simple-git": probe
 * sources linted as if they lived in the tree, through ESLint's API and the project's own config.
 */
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './config.js';

let eslint: ESLint;

/** The rules that refused `source` at `file` (a path from the repository's root). */
async function refusedBy(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${REPO_ROOT}/${file}` });
  return result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

beforeAll(() => {
  eslint = new ESLint({ cwd: REPO_ROOT });
});

describe('adapter boundaries', { timeout: 30_000 }, () => {
  it('refuse dockerode imported in server/', async () => {
    expect(await refusedBy('server/probe.ts', "import Docker from 'dockerode';\nexport const probe = (d: Docker) => d;\n")).toEqual(['no-restricted-imports']);
  });

  it('refuse a Docker, Redis or Job type an adapter would re-export, imported in server/', async () => {
    for (const [name, from] of [['Docker', '../common/docker/engine.js'], ['Redis', '../common/queue/redis-data.js'], ['Job', '../common/queue/bullmq.js']]) {
      const source = `import type { ${name} } from '${from}';\nexport const probe = (x: ${name}) => x;\n`;
      expect(await refusedBy('server/probe.ts', source), name).toEqual(['no-restricted-imports']);
    }
  });

  it("refuse an adapter re-exporting its library's types", async () => {
    expect(await refusedBy('workers/container/run-container.ts', "import type Docker from 'dockerode';\nexport type { Docker };\n")).toEqual(['no-restricted-syntax']);
    expect(await refusedBy('common/queue/bullmq.ts', "export { Job } from 'bullmq';\n")).toEqual(['no-restricted-syntax']);
    expect(await refusedBy('common/queue/redis-data.ts', "import type { Redis } from 'ioredis';\nexport type Client = Redis;\n")).toEqual(['no-restricted-syntax']);
  });

  it("let server/ use an adapter's own interfaces", async () => {
    const source = "import { createQueues, type Queues } from '../common/queue/bullmq.js';\nexport const probe = (q: Queues) => [q, createQueues];\n";
    expect(await refusedBy('server/probe.ts', source)).toEqual([]);
  });
});
