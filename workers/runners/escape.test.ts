import { describe, expect, it } from 'vitest';
import { escapeRegex, exactAlternation, fullTitles, goFlag, goRunPattern, splitId, titlePattern } from './escape.js';

// Titles a real suite has: spaces, brackets, quotes, every regex metacharacter, unicode.
const NASTY = ['records the first snapshot of a day', 'x[1] (upsert) {a}', `it's "quoted"`, 'a|b.*+?^$\\d/', 'ünïcödé ✓ 日本語', 'tab\there'];

describe('escapeRegex', () => {
  it('makes every title match itself and only itself', () => {
    for (const title of NASTY) {
      const re = new RegExp(`^${escapeRegex(title)}$`, 'u');
      expect(re.test(title)).toBe(true);
      expect(re.test(`${title}x`)).toBe(false);
      expect(re.test(title.slice(1))).toBe(false);
    }
    // A metacharacter left as is would let `a|b.*` match `a` alone.
    expect(new RegExp(`^${escapeRegex('a|b.*')}$`).test('a')).toBe(false);
  });
});

describe('fullTitles', () => {
  it('reads SUITE::TITLE (mocha, our writers) as the space-joined full title', () => {
    expect(fullTitles('ledger balance snapshots (upsert)::replaces a snapshot')).toContain('ledger balance snapshots (upsert) replaces a snapshot');
  });
  it('splits at the last :: and keeps vitest A > B as A B', () => {
    expect(splitId('a::b::c')).toEqual({ classname: 'a::b', name: 'c' });
    expect(fullTitles('test/x.test.ts::outer > inner')).toContain('outer inner');
  });
});

describe('exactAlternation', () => {
  it('selects exactly the titles asked for among similar ones', () => {
    const re = new RegExp(exactAlternation(NASTY), 'u');
    for (const title of NASTY) expect(re.test(title)).toBe(true);
    for (const other of ['records the first snapshot of a day twice', 'x[1] (upsert)', 'a', 'ab', 'ünïcödé']) expect(re.test(other)).toBe(false);
  });
});

describe('titlePattern', () => {
  it('selects a test by the id any of the JUnit writers gives it, and no similar test', () => {
    const full = 'ledger balance snapshots (upsert) records the first snapshot of a day';
    for (const id of [
      'ledger balance snapshots (upsert)::records the first snapshot of a day',
      // mocha-junit-reporter, jenkins mode: suite titles joined with "."
      'ledger.balance snapshots (upsert)::records the first snapshot of a day',
      // jest-junit's default: the full name twice
      `${full}::${full}`,
    ]) {
      const re = new RegExp(titlePattern([id]), 'u');
      expect(re.test(full), id).toBe(true);
      expect(re.test(`${full}, again`), id).toBe(false);
      expect(re.test('ledger balance snapshots (upsert) records the first snapshot of a'), id).toBe(false);
    }
    expect(new RegExp(titlePattern(['f.test.ts::outer [x] > it\'s "q" a|b.*'])).test('outer [x] it\'s "q" a|b.*')).toBe(true);
  });

  it('keeps a dot in a title matching itself, never any character', () => {
    const re = new RegExp(titlePattern(['v1.2 upsert::works']));
    expect(re.test('v1.2 upsert works')).toBe(true);
    expect(re.test('v1x2 upsert works')).toBe(false);
  });
});

describe('go test -run', () => {
  it('anchors each subtest level and writes spaces as Go names them', () => {
    expect(goRunPattern(['example.com/pkg::TestUpsert/first day', 'example.com/pkg::TestClose'])).toBe('^(?:TestUpsert|TestClose)$/^(?:first_day)$');
  });
  it('keeps a pattern one GOFLAGS word', () => {
    const flag = goFlag('run', '^(?:a b)$');
    expect(flag.split(' ')).toHaveLength(1);
    expect(flag).toBe('-run=^(?:a\\x20b)$');
  });
  it('escapes metacharacters in test names', () => {
    expect(goRunPattern(['p::TestA.B'])).toBe('^(?:TestA\\.B)$');
  });
});
