/**
 * The runner presets' helpers on the host's real runners (pytest, vitest): no Docker, but real runs, so
 * with the integration tests rather than the unit project. What a container adds (the mounts, the
 * examples' suites) is in test/runner-presets.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readResultsDir } from '../workers/results/junit.js';
import { PRESET_DIR, PRESET_JUNIT, presetFor } from '../workers/runners/presets.js';
import { writePreset } from '../workers/runners/write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tmp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'preset-'));
  dirs.push(dir);
  return dir;
}

/**
 * The preset written for a run on this host: its container paths (in its variables and its files)
 * pointed at host folders, as the mounts do in the container.
 */
function hostPreset(kind: 'pytest' | 'vitest' | 'node-test', selection: { ids?: string[]; files?: string[] }, rerunDir: string, results: string): Record<string, string> {
  const onHost = (v: string) => v.split(PRESET_JUNIT).join(path.join(results, 'compat-preset.xml')).split(PRESET_DIR).join(path.join(rerunDir, 'preset'));
  const env = writePreset(presetFor(kind)!, rerunDir, selection, {});
  for (const name of ['args.json', 'select.json']) {
    const file = path.join(rerunDir, 'preset', name);
    if (existsSync(file)) writeFileSync(file, onHost(readFileSync(file, 'utf8')));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, onHost(v)]));
}

const hasPytest = spawnSync('python3', ['-m', 'pytest', '--version']).status === 0;

// The plugin on the host's real pytest: the ids are those its own JUnit gives, whatever they hold.
describe.skipIf(!hasPytest)('pytest preset on a real pytest', () => {
  const SUITE = `
import pytest

@pytest.mark.parametrize("v", ["a b", "x[1]", 'q"uote', "it's", "a|b.*+?", "ünï ✓ 日本"])
def test_param(v):
    assert v

class TestKlass:
    def test_one(self):
        pass

def test_ünïcode():
    pass

def test_other():
    pass
`;

  function run(selection: { ids?: string[]; files?: string[] }) {
    const root = tmp();
    const results = path.join(root, 'results');
    const rerunDir = path.join(root, 'rerun');
    mkdirSync(results);
    mkdirSync(path.join(root, 'src', 'sub'), { recursive: true });
    writeFileSync(path.join(root, 'src', 'test_sel.py'), SUITE);
    writeFileSync(path.join(root, 'src', 'sub', 'test_more.py'), 'def test_more():\n    pass\n');
    const env = hostPreset('pytest', selection, rerunDir, results);
    // The command writes no JUnit: the preset does.
    spawnSync('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider'], { cwd: path.join(root, 'src'), env: { ...process.env, ...env }, encoding: 'utf8' });
    return readResultsDir(results).tests.map((t) => t.id);
  }

  it('writes JUnit when the command does not, and runs only the ids asked for', () => {
    const all = run({});
    expect(all.length).toBe(10);
    // Every id with a space, bracket, quote, metacharacter or unicode, and one of a class.
    const wanted = all.filter((id) => /[ [\]"'|ü]/.test(id) || id.includes('TestKlass'));
    expect(wanted.length).toBeGreaterThanOrEqual(6);
    expect(run({ ids: wanted }).sort()).toEqual([...wanted].sort());
  }, 60_000);

  it('runs only the files asked for', () => {
    expect(run({ files: ['sub/test_more.py'] })).toEqual(['sub.test_more::test_more']);
  }, 60_000);
});

const vitestBin = path.resolve('node_modules/vitest/vitest.mjs');

// The Node helper on the host's real vitest: arguments added to its argv, JUnit from its own reporter.
describe('vitest preset on a real vitest', () => {
  it('runs only the tests asked for, by exact full title', () => {
    // Inside the project, so `vitest` resolves; a folder of its own, removed afterwards.
    const root = mkdtempSync(path.resolve('test/.tmp-vitest-'));
    dirs.push(root);
    const results = path.join(root, 'results');
    const rerunDir = path.join(root, 'rerun');
    mkdirSync(results);
    writeFileSync(path.join(root, 'vitest.config.mjs'), 'export default { test: { include: ["*.spec.mjs"] } };\n');
    writeFileSync(
      path.join(root, 'sel.spec.mjs'),
      `import { describe, it } from 'vitest';
describe('upsert (mysql) [x]', () => {
  it('replaces a row', () => {});
  it('replaces a row twice', () => {});
  it("it's \\"quoted\\" a|b.*", () => {});
});
it('ünï ✓', () => {});
`,
    );
    const runWith = (ids?: string[]) => {
      rmSync(results, { recursive: true, force: true });
      mkdirSync(results);
      const env = hostPreset('vitest', ids ? { ids } : {}, rerunDir, results);
      execFileSync(process.execPath, [vitestBin, 'run', '--root', root], { cwd: root, env: { ...process.env, ...env }, stdio: 'pipe' });
      return readResultsDir(results).tests.filter((t) => t.status === 'passed').map((t) => t.id);
    };
    const all = runWith();
    expect(all).toHaveLength(4);
    const wanted = all.filter((id) => id.endsWith('replaces a row') || id.includes('quoted') || id.includes('ü'));
    expect(wanted).toHaveLength(3);
    expect(runWith(wanted).sort()).toEqual([...wanted].sort());
  }, 60_000);
});

// node --test on the host's own Node: started again with the pattern, JUnit from the preset's reporter.
describe('node-test preset on the host\'s node --test', () => {
  it('runs only the tests asked for, by exact name, and reports none it left out', () => {
    const root = tmp();
    const results = path.join(root, 'results');
    const rerunDir = path.join(root, 'rerun');
    const suite = path.join(root, 'suite');
    mkdirSync(results);
    mkdirSync(path.join(suite, 'test'), { recursive: true });
    writeFileSync(
      path.join(suite, 'test', 'sel.test.mjs'),
      `import { describe, it, test } from 'node:test';
import assert from 'node:assert';
describe('upsert (mysql) [x]', () => {
  it('replaces a row', () => {});
  it('replaces a row twice', () => {});
  it("it's \\"quoted\\" a|b.*", () => { assert.fail('boom <&>'); });
});
test('ünï ✓', () => {});
`,
    );
    const runWith = (ids?: string[]) => {
      rmSync(results, { recursive: true, force: true });
      mkdirSync(results);
      const env = hostPreset('node-test', ids ? { ids } : {}, rerunDir, results);
      spawnSync(process.execPath, ['--test'], { cwd: suite, env: { ...process.env, ...env }, stdio: 'pipe' });
      return readResultsDir(results).tests;
    };
    const all = runWith();
    expect(all.map((t) => t.status).sort()).toEqual(['failed', 'passed', 'passed', 'passed']);
    const wanted = all.filter((t) => !t.id.endsWith('replaces a row twice')).map((t) => t.id);
    const ran = runWith(wanted);
    expect(ran.map((t) => t.id).sort()).toEqual([...wanted].sort());
    expect(ran.find((t) => t.id.includes('quoted'))?.status).toBe('failed');
  }, 60_000);
});
