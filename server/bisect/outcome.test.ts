import { describe, expect, it } from 'vitest';
import { failureEvidence } from '../../common/test-evidence.js';
import { STEP_RULES, stepOutcome, testOutcomes } from './outcome.js';

const t = (id: string, status: 'passed' | 'failed' | 'skipped', message?: string) => ({ id, status, ...(message ? { message } : {}) });
const outcome = (...args: Parameters<typeof stepOutcome>) => stepOutcome(...args).outcome;

describe('stepOutcome', () => {
  // The run's first attempt: the baseline passed a, b and z; the candidate failed a and b.
  const evidence = failureEvidence(['s::a', 's::b'], [t('s::a', 'failed'), t('s::b', 'failed'), t('s::z', 'passed')], [t('s::a', 'passed'), t('s::b', 'passed'), t('s::z', 'passed')]);
  const none = failureEvidence([], [], []);
  it('is bad when any confirmed new failure fails again, whatever else passes', () => {
    expect(stepOutcome({ status: 'failed', tests: [t('s::a', 'passed'), t('s::b', 'failed')] }, evidence)).toMatchObject({ outcome: 'bad', rule: STEP_RULES.failsAgain, detail: `${STEP_RULES.failsAgain}: s::b` });
  });
  it('is good when they all pass, even if an unrelated test fails', () => {
    expect(outcome({ status: 'failed', tests: [t('s::a', 'passed'), t('s::b', 'passed'), t('s::z', 'failed')] }, evidence)).toBe('good');
  });
  it('is good when some of them pass and none fails (issue 22: one skipped no longer makes it a skip)', () => {
    expect(stepOutcome({ status: 'passed', tests: [t('s::a', 'passed'), t('s::b', 'skipped')] }, evidence)).toMatchObject({ outcome: 'good', rule: STEP_RULES.newFailuresPass });
  });
  it('cannot tell (skip) when the side ran nothing, or not those tests', () => {
    expect(stepOutcome({ status: 'failed', tests: [], reason: 'installing the candidate artifact failed (exit 1)' }, evidence)).toMatchObject({ outcome: 'skip', rule: STEP_RULES.ranNothing, detail: expect.stringContaining('installing the candidate') });
    expect(stepOutcome({ status: 'failed', tests: [t('s::z', 'failed')] }, evidence)).toMatchObject({ outcome: 'skip', rule: STEP_RULES.notRun });
  });
  it('goes by the side status for a regression without per-test ids', () => {
    expect(outcome({ status: 'timeout', tests: [] }, none)).toBe('bad');
    expect(outcome({ status: 'failed', tests: [] }, none)).toBe('bad');
    expect(stepOutcome({ status: 'passed', tests: [] }, none)).toMatchObject({ outcome: 'good', rule: STEP_RULES.status });
  });
  it('an infrastructure error is an error, never a test result', () => {
    expect(outcome({ status: 'error', tests: [t('s::a', 'failed')] }, evidence)).toBe('error');
  });
});

describe('stepOutcome on a failure that exists only when it fails', () => {
  // mocha: the store's beforeEach failed on the candidate; its two tests vanished, format::n still ran.
  const hook = 'store::"before each" hook for "puts a value"';
  const baseline = [t('store::puts a value', 'passed'), t('store::lists keys', 'passed'), t('format::n', 'passed')];
  const mocha = failureEvidence([hook], [t(hook, 'failed', 'kv.openStore is not a function'), t('format::n', 'passed')], baseline);
  it('is good when the hook id is absent and the tests it hid ran and passed', () => {
    expect(stepOutcome({ status: 'passed', tests: baseline }, mocha)).toMatchObject({ outcome: 'good', rule: STEP_RULES.failureOnlyAbsent });
    // A targeted step that selected only the hidden tests.
    expect(outcome({ status: 'passed', tests: baseline.slice(0, 2) }, mocha)).toBe('good');
  });
  it('is bad when the same hook fails again, even named after another test (a targeted run)', () => {
    expect(stepOutcome({ status: 'failed', tests: [t('store::"before each" hook for "lists keys"', 'failed')] }, mocha)).toMatchObject({ outcome: 'bad', rule: STEP_RULES.failsAgain });
  });
  it('is bad when the hook passes but a test it hid fails', () => {
    expect(stepOutcome({ status: 'failed', tests: [t('store::puts a value', 'failed'), t('store::lists keys', 'passed')] }, mocha)).toMatchObject({ outcome: 'bad', rule: STEP_RULES.hiddenFails });
  });
  it('cannot tell when the hidden tests did not run (the suite crashed some other way)', () => {
    expect(stepOutcome({ status: 'failed', tests: [t('format::n', 'passed'), t('other::x', 'failed')] }, mocha)).toMatchObject({ outcome: 'skip', rule: STEP_RULES.notRun });
  });
  // pytest: a module that cannot import stops the whole session; every test is hidden.
  const collection = 'pytest::tests.test_parse';
  const pyBaseline = [t('tests.test_parse::test_one', 'passed'), t('tests.test_render::test_r', 'passed')];
  const pytest = failureEvidence([collection], [t(collection, 'failed', 'collection failure\nImportError')], pyBaseline);
  it('pytest: good once the module imports and its tests pass, bad while it still does not', () => {
    expect(pytest.failureOnly).toEqual([collection]);
    expect(outcome({ status: 'passed', tests: pyBaseline }, pytest)).toBe('good');
    expect(outcome({ status: 'failed', tests: [t(collection, 'failed', 'collection failure')] }, pytest)).toBe('bad');
  });
});

describe('testOutcomes: each new failure on its own (issue 23)', () => {
  const evidence = failureEvidence(['s::a', 's::b'], [t('s::a', 'failed'), t('s::b', 'failed'), t('s::z', 'passed')], [t('s::a', 'passed'), t('s::b', 'passed'), t('s::z', 'passed')]);
  it('splits a step where one new failure fails again and the other passes', () => {
    expect(testOutcomes({ status: 'failed', tests: [t('s::a', 'passed'), t('s::b', 'failed')] }, evidence)).toEqual({ good: ['s::a'], bad: ['s::b'], skip: [] });
    expect(testOutcomes({ status: 'failed', tests: [t('s::a', 'passed'), t('s::z', 'failed')] }, evidence)).toEqual({ good: ['s::a'], bad: [], skip: ['s::b'] });
  });
  it('speaks only as a whole for an infrastructure error or a regression without ids', () => {
    expect(testOutcomes({ status: 'error', tests: [] }, evidence)).toBeNull();
    expect(testOutcomes({ status: 'failed', tests: [] }, failureEvidence([], [], []))).toBeNull();
  });
  it('gives each test what stepOutcome gives that test alone, failure-only ids included', () => {
    const hook = 'store::"before each" hook for "puts a value"';
    const baseline = [t('store::puts a value', 'passed'), t('store::lists keys', 'passed'), t('s::c', 'passed')];
    const mixed = failureEvidence([hook, 's::c'], [t(hook, 'failed'), t('s::c', 'failed')], baseline);
    const results = [
      { status: 'passed' as const, tests: baseline },
      { status: 'failed' as const, tests: [t('store::puts a value', 'failed'), t('store::lists keys', 'passed'), t('s::c', 'passed')] },
      { status: 'failed' as const, tests: [t('store::"before each" hook for "lists keys"', 'failed'), t('s::c', 'passed')] },
      { status: 'failed' as const, tests: [t('s::c', 'failed')] },
      { status: 'failed' as const, tests: [] },
    ];
    for (const result of results) {
      const each = testOutcomes(result, mixed)!;
      for (const id of mixed.newFailures) {
        const alone = { ...mixed, newFailures: [id], failureOnly: mixed.failureOnly.filter((x) => x === id) };
        const expected = stepOutcome(result, alone).outcome;
        expect(each[expected as 'good' | 'bad' | 'skip'], `${id} in ${JSON.stringify(result.tests.map((x) => [x.id, x.status]))}`).toContain(id);
      }
    }
  });
});
