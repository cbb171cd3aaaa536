import { describe, expect, it } from 'vitest';
import { failureEvidence, failureKey, isFailureOnlyShape, ranSelection, rerunSelection, resolvedFailures, sameFailures, SELECTION_MAX_IDS, sideRan } from './test-evidence.js';

const t = (id: string, status: 'passed' | 'failed' | 'skipped', message?: string) => ({ id, status, ...(message ? { message } : {}) });

describe('failure-only ids', () => {
  it('knows mocha hooks, jest and JUnit suite errors, pytest collection errors by their shape', () => {
    expect(isFailureOnlyShape({ id: 'Model::"before each" hook for "inserting a model should not load relations"' })).toBe(true);
    expect(isFailureOnlyShape({ id: 'db::"before all" hook: connect in "db"' })).toBe(true);
    expect(isFailureOnlyShape({ id: 'db::"after all" hook' })).toBe(true);
    expect(isFailureOnlyShape({ id: 'tests/a.test.js::Test suite failed to run' })).toBe(true);
    expect(isFailureOnlyShape({ id: 'org.example.FooTest::initializationError' })).toBe(true);
    expect(isFailureOnlyShape({ id: 'pytest::tests.test_parse', message: 'collection failure' })).toBe(true);
    expect(isFailureOnlyShape({ id: 'suite::test_b', message: 'assert 1 == 2' })).toBe(false);
    expect(isFailureOnlyShape({ id: 'suite::runs the "before each" hook test' })).toBe(false);
  });
  it('a hook failure is the same failure whichever test it ran before', () => {
    expect(failureKey('s::"before each" hook for "a"')).toBe('s::"before each" hook');
    expect(failureKey('s::"before each" hook: seed for "a"')).toBe('s::"before each" hook: seed');
    expect(failureKey('suite::test_b')).toBe('suite::test_b');
    expect(sameFailures(['s::"before each" hook for "a"', 's::x'], ['s::"before each" hook for "b"'])).toEqual(['s::"before each" hook for "a"']);
  });
  it('an id the baseline (which ran) never reported is failure-only too; the tests the candidate lost are what it hid', () => {
    const e = failureEvidence(['s::x', 'gen::case 7'], [t('s::x', 'failed'), t('gen::case 7', 'failed')], [t('s::x', 'passed'), t('s::y', 'passed'), t('s::z', 'skipped')]);
    expect(e.failureOnly).toEqual(['gen::case 7']);
    expect(e.hidden).toEqual(['s::y']);
    // No baseline evidence: nothing is taken for failure-only by absence.
    expect(failureEvidence(['s::x'], [t('s::x', 'failed')], []).failureOnly).toEqual([]);
  });
  it('ran: a pass or a failure, not skips alone', () => {
    expect(sideRan([t('a', 'skipped')])).toBe(false);
    expect(sideRan([t('a', 'skipped'), t('b', 'failed')])).toBe(true);
  });
});

describe('targeted re-runs', () => {
  const hook = 's::"before each" hook for "a"';
  const evidence = failureEvidence([hook, 'o::q'], [t(hook, 'failed'), t('o::q', 'failed')], [t('s::a', 'passed'), t('s::b', 'passed'), t('o::q', 'passed')]);
  it('select the tests a hook hid instead of its id', () => {
    expect(rerunSelection(evidence)).toEqual({ tests: ['o::q', 's::a', 's::b'], standsFor: [hook] });
    expect(rerunSelection(failureEvidence(['o::q'], [t('o::q', 'failed')], [t('o::q', 'passed')]))).toEqual({ tests: ['o::q'], standsFor: [] });
  });
  it('run the whole suite when the selection would be too long, or a failure-only id hid nothing', () => {
    const many = Array.from({ length: SELECTION_MAX_IDS + 1 }, (_, i) => t(`s::t${i}`, 'passed' as const));
    expect(rerunSelection(failureEvidence([hook], [t(hook, 'failed')], many))).toBeNull();
    expect(rerunSelection(failureEvidence(['s::"after all" hook in "s"'], [t('s::"after all" hook in "s"', 'failed'), t('s::a', 'passed')], [t('s::a', 'passed')]))).toBeNull();
  });
  it('a re-run that failed in the hook (or its module\'s collection) ran its selection', () => {
    expect(ranSelection([t('s::"before each" hook for "b"', 'failed')], ['s::a', 's::b'], [hook])).toBe(true);
    expect(ranSelection([t('pytest::tests.test_parse', 'failed', 'collection failure')], ['tests.test_parse::test_one'])).toBe(true);
    expect(ranSelection([t('s::b', 'passed')], ['s::a', 's::b'])).toBe(true);
    expect(ranSelection([t('other::z', 'passed')], ['s::a'])).toBe(false);
  });
});

describe('fixed tests', () => {
  it('a baseline hook failure is fixed when it is gone and the tests it hid pass on the candidate', () => {
    const hook = 's::"before each" hook for "a"';
    expect(resolvedFailures([t(hook, 'failed'), t('o::q', 'failed')], [t('s::a', 'passed'), t('s::b', 'passed'), t('o::q', 'passed')])).toEqual(['o::q', hook]);
    expect(resolvedFailures([t(hook, 'failed')], [t('s::a', 'failed')])).toEqual([]);
    expect(resolvedFailures([t(hook, 'failed')], [t('s::"before each" hook for "b"', 'failed')])).toEqual([]);
  });
});
