import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../common/logger.js';
import type { ResolvedLibrary, ResolvedMatrix } from '../../common/matrix/load.js';
import type { RunJson } from '../../common/types.js';
import { PlanError } from '../planner/plan.js';
import type { Orchestrator } from '../runs/orchestrator.js';
import { Store } from '../store/store.js';
import { mirrorRepositories } from '../adapters.js';
import type { GitRepositories } from '../ports.js';
import { FakeRepositories } from '../testing/fakes.js';
import { RepositoryUnavailable, TagEvents, type TagEvent } from './tag-event.js';

const SHA = 'c'.repeat(40);
const library = { name: 'quarry', repo: '/srv/quarry', tags: 'v{version}' } as ResolvedLibrary;
const matrix = { libraries: [library] } as unknown as ResolvedMatrix;
const event = (over: Partial<TagEvent> = {}): TagEvent => ({
  forge: 'github',
  event: 'push',
  repository: 'acme/quarry',
  tag: 'v1.1.0',
  commitSha: SHA,
  matrix,
  library,
  ...over,
});

let dir: string;
let store: Store;
let created: Array<Record<string, unknown>>;
let fail: Error | null;

/** Stands in for the orchestrator: stores a run as createRun would, slowly, so deliveries can race. */
function fakeOrchestrator(): Orchestrator {
  let n = 0;
  return {
    async createRun(_m: ResolvedMatrix, request: { library: string; candidate: string }, trigger: string, meta: Record<string, unknown>) {
      await new Promise((r) => setTimeout(r, 50));
      if (fail) throw fail;
      const id = `r${++n}-${Math.random().toString(36).slice(2, 6)}`;
      created.push(meta);
      store.insertRun(
        { id, library: request.library, candidate: request.candidate, baseline: 'v1.0.0', candidateVersion: '1.1.0', baselineVersion: '1.0.0', candidateSha: (meta.commitSha as string) ?? SHA, baselineSha: 'd'.repeat(40), trigger: trigger as 'webhook', reruns: 0, meta },
        [],
      );
      return { id } as RunJson;
    },
  } as unknown as Orchestrator;
}

function events(repos: GitRepositories = mirrorRepositories(dir)): TagEvents {
  return new TagEvents({ store, orchestrator: fakeOrchestrator(), repos, log: logger });
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'compat-tag-event-'));
  store = new Store(Store.fileIn(dir));
  created = [];
  fail = null;
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('deliveries', () => {
  it('two concurrent identical deliveries start one run and both get its id', async () => {
    const te = events();
    const handle = (key: string | null) => te.runForTag(event(), key);
    const [a, b] = await Promise.all([te.deliver('github:d1', 'github', handle), te.deliver('github:d1', 'github', handle)]);
    expect(a).toEqual(b);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ forge: 'github', delivery: 'github:d1', repository: 'acme/quarry', tag: 'v1.1.0', commitSha: SHA });
  });

  it('a redelivery after a restart (a new TagEvents on the same store) gets the same run', async () => {
    const first = await events().deliver('github:d2', 'github', (k) => events().runForTag(event({ commitSha: 'e'.repeat(40) }), k));
    store.close();
    store = new Store(Store.fileIn(dir));
    const again = events();
    const second = await again.deliver('github:d2', 'github', (k) => again.runForTag(event({ commitSha: 'f'.repeat(40) }), k));
    expect(second).toEqual(first);
    expect(created).toHaveLength(1);
  });

  it('a claim left unfinished by a crash after the run was created finds that run', async () => {
    const te = events();
    await te.runForTag(event(), 'github:d3');
    // The crash: the delivery row was claimed, the run exists, the outcome was never written.
    store.deliveries.claim('github:d3', 'github');
    const outcome = await events().deliver('github:d3', 'github', () => Promise.reject(new Error('must not be called')));
    expect(outcome).toEqual({ runId: expect.any(String) });
    expect(created).toHaveLength(1);
  });

  it('an ignored delivery is looked at again when redelivered', async () => {
    const te = events();
    expect(await te.deliver('github:d4', 'github', (k) => te.runForTag(event({ tag: 'nightly' }), k))).toEqual({
      ignored: 'tag "nightly" does not match the tag pattern "v{version}" of quarry',
    });
    expect(await te.deliver('github:d4', 'github', (k) => te.runForTag(event(), k))).toEqual({ runId: expect.any(String) });
  });

  it('a passing failure releases the claim, so the redelivery retries', async () => {
    const te = events();
    fail = new PlanError('library', 'cannot fetch /srv/quarry: network down');
    await expect(te.deliver('github:d5', 'github', (k) => te.runForTag(event(), k))).rejects.toBeInstanceOf(RepositoryUnavailable);
    expect(store.deliveries.get('github:d5')).toBeUndefined();
    fail = null;
    expect(await te.deliver('github:d5', 'github', (k) => te.runForTag(event(), k))).toEqual({ runId: expect.any(String) });
  });
});

describe('tags', () => {
  it('create and push of one tag (different deliveries, same commit) join one run', async () => {
    const te = events();
    const [a, b] = await Promise.all([
      te.deliver('github:create-1', 'github', (k) => te.runForTag(event({ event: 'create' }), k)),
      te.deliver('github:push-1', 'github', (k) => te.runForTag(event({ event: 'push' }), k)),
    ]);
    expect(a).toEqual(b);
    expect(created).toHaveLength(1);
  });

  it('a tag moved to another commit gets a run of its own', async () => {
    const te = events();
    const a = await te.runForTag(event(), null);
    const b = await te.runForTag(event({ commitSha: '9'.repeat(40) }), null);
    expect(a).not.toEqual(b);
  });

  it('an event without a commit asks the repository where the tag points: the same commit joins the run, a moved tag gets its own', async () => {
    const repos = new FakeRepositories().add(library.repo, { commits: [{ sha: SHA }], tags: { 'v1.1.0': SHA } });
    const te = events(repos);
    const first = await te.runForTag(event(), null);
    expect(await te.runForTag(event({ event: 'create', commitSha: null }), null)).toEqual(first);
    expect(repos.updates.get(library.repo)).toBe(1);
    repos.add(library.repo, { commits: [{ sha: SHA }, { sha: '9'.repeat(40) }], tags: { 'v1.1.0': '9'.repeat(40) } });
    const moved = await te.runForTag(event({ event: 'create', commitSha: null }), null);
    expect(moved).not.toEqual(first);
    expect(created).toHaveLength(2);
  });

  it('a plan error that is not passing is an ignored reason', async () => {
    fail = new PlanError('baseline', 'no release of quarry below 1.1.0; give a baseline');
    expect(await events().runForTag(event(), null)).toEqual({ ignored: 'cannot plan a run: baseline: no release of quarry below 1.1.0; give a baseline' });
  });

  it('refuses a tag that is not a valid ref name before anything else', async () => {
    expect(await events().runForTag(event({ tag: 'v1.0.0;reboot' }), null)).toMatchObject({ ignored: expect.stringContaining('not allowed in a git ref') });
  });
});
