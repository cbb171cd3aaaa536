import { describe, expect, it } from 'vitest';
import { presetFor, type NodePresetArgs } from './presets.js';

describe('presetFor', () => {
  it('has none for custom and none set, one per other kind', () => {
    expect(presetFor(undefined)).toBeNull();
    expect(presetFor('custom')).toBeNull();
    for (const kind of ['pytest', 'mocha', 'jest', 'vitest', 'node-test', 'go-test'] as const) expect(presetFor(kind)?.kind).toBe(kind);
  });

  it('extends the consumer\'s own PYTEST_ADDOPTS, NODE_OPTIONS and GOFLAGS instead of dropping them', () => {
    expect(presetFor('pytest')!.invocation({}, { PYTEST_ADDOPTS: '-x' }).env.PYTEST_ADDOPTS).toBe('-p compat_preset_pytest -x');
    expect(presetFor('mocha')!.invocation({}, { NODE_OPTIONS: '--max-old-space-size=512' }).env.NODE_OPTIONS).toMatch(/--require \S+ --max-old-space-size=512$/);
    expect(presetFor('go-test')!.invocation({ ids: ['p::TestA'] }, { GOFLAGS: '-count=1' }).env.GOFLAGS).toBe('-run=^(?:TestA)$ -count=1');
  });

  it('puts ids in a file, never in a variable a shell reads', () => {
    const ids = ['a::b $(touch /tmp/x)', "c::'; rm -rf /"];
    for (const kind of ['pytest', 'mocha', 'jest', 'vitest', 'node-test'] as const) {
      const { env, files } = presetFor(kind)!.invocation({ ids }, {});
      expect(Object.values(env).join('\n')).not.toContain('touch');
      expect(Object.values(files).join('\n')).toContain('touch');
    }
  });

  it('gives mocha, jest and vitest one anchored pattern of the exact full titles', () => {
    const ids = ['ledger balance snapshots (upsert)::records the first snapshot of a day'];
    const mocha = JSON.parse(presetFor('mocha')!.invocation({ ids }, {}).files['args.json']) as NodePresetArgs;
    const re = new RegExp(mocha.grep!);
    expect(re.test('ledger balance snapshots (upsert) records the first snapshot of a day')).toBe(true);
    expect(re.test('ledger balance snapshots (upsert) records the first snapshot of a day again')).toBe(false);
    const jest = JSON.parse(presetFor('jest')!.invocation({ ids, files: ['a b.test.js'] }, {}).files['args.json']) as NodePresetArgs;
    expect(jest.append).toEqual(['--testNamePattern', mocha.grep, '--runTestsByPath', 'a b.test.js']);
  });
});
