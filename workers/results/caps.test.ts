import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestOutcome } from '../../common/types.js';
import { hostileJUnit } from '../../test/helpers/hostile-junit.js';
import { JUNIT_ID_MAX, JUNIT_MAX_STORED_CHARS, capId, capOutcomes, readResultsDir } from './junit.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'junit-caps-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const size = (tests: TestOutcome[]) => tests.reduce((sum, t) => sum + t.id.length + (t.message?.length ?? 0), 0);

describe('capId', () => {
  it('keeps ids up to the limit as they are', () => {
    const id = 'a'.repeat(JUNIT_ID_MAX);
    expect(capId(id)).toBe(id);
  });

  it('cuts a longer id to the limit with a hash marker, so ids that differ only past the cut stay distinct and stable', () => {
    const long = 'suite'.repeat(200);
    const a = capId(`${long}::test one`);
    const b = capId(`${long}::test two`);
    expect(a.length).toBeLessThanOrEqual(JUNIT_ID_MAX);
    expect(b.length).toBeLessThanOrEqual(JUNIT_ID_MAX);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^suitesuite.*…#[0-9a-f]{12}$/);
    expect(capId(`${long}::test one`)).toBe(a);
  });

  it('never cuts a surrogate pair in half', () => {
    const id = '😀'.repeat(300);
    const capped = capId(id);
    expect(capped.length).toBeLessThanOrEqual(JUNIT_ID_MAX);
    expect(capped).toBe(capped.normalize());
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(capped)).toBe(false);
  });
});

describe('capOutcomes', () => {
  it('keeps everything that fits, with no marker', () => {
    const tests: TestOutcome[] = [
      { id: 'b', status: 'passed' },
      { id: 'a', status: 'failed', message: 'boom' },
    ];
    expect(capOutcomes(tests)).toEqual({ tests: [tests[1], tests[0]] });
  });

  it('keeps failures first within the characters allowed, and says how many tests and characters it dropped', () => {
    const tests: TestOutcome[] = [];
    for (let i = 0; i < 10; i++) tests.push({ id: `pass-${i}`, status: 'passed' }, { id: `fail-${i}`, status: 'failed', message: 'm'.repeat(10) });
    const { tests: kept, dropped } = capOutcomes(tests, { maxChars: 12 * 30, maxTests: 1000 });
    expect(kept.filter((t) => t.status === 'failed')).toHaveLength(10);
    expect(kept.length).toBeLessThan(20);
    expect(dropped).toEqual({ tests: 20 - kept.length, failed: 0, chars: expect.any(Number) });
    expect(dropped!.chars).toBeGreaterThan(0);
  });

  it('caps the count of tests kept', () => {
    const tests: TestOutcome[] = Array.from({ length: 50 }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, status: 'failed' as const }));
    const { tests: kept, dropped } = capOutcomes(tests, { maxChars: 1e9, maxTests: 20 });
    expect(kept.map((t) => t.id)).toEqual(tests.slice(0, 20).map((t) => t.id));
    expect(dropped).toMatchObject({ tests: 30, failed: 30 });
  });
});

describe('readResultsDir on the hostile file of issue 16 item 5', () => {
  it('stores at most its allowance, ids of at most 256 characters, failures first, and a marker of what it dropped', () => {
    const xml = hostileJUnit();
    expect(xml.length).toBeGreaterThan(3_500_000);
    writeFileSync(path.join(dir, 'hostile.xml'), xml);
    const { tests, problems, dropped } = readResultsDir(dir);
    expect(size(tests)).toBeLessThanOrEqual(JUNIT_MAX_STORED_CHARS);
    expect(Math.max(...tests.map((t) => t.id.length))).toBeLessThanOrEqual(JUNIT_ID_MAX);
    expect(new Set(tests.map((t) => t.id)).size).toBe(tests.length);
    // 33,334 failures of ~260 characters do not all fit 2 Mi: every test kept is a failure.
    expect(tests.every((t) => t.status === 'failed')).toBe(true);
    expect(dropped).toBeDefined();
    expect(dropped!.tests).toBe(100_000 - tests.length);
    expect(dropped!.failed).toBe(33_334 - tests.length);
    expect(dropped!.chars).toBeGreaterThan(10_000_000);
    expect(problems.some((p) => p.includes('allowance') && p.includes(String(dropped!.tests)))).toBe(true);
  }, 60_000);
});
