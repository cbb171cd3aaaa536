import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJUnit, readResultsDir } from './junit.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'junit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('parseJUnit', () => {
  it('reads passed, failed, errored and skipped cases of nested suites, with messages and durations', () => {
    const xml = `<?xml version="1.0"?>
<testsuites><testsuite name="outer">
  <testcase classname="pkg.mod" name="ok" time="0.25"/>
  <testcase classname="pkg.mod" name="bad"><failure message="expected 1 &amp; got 2">trace</failure></testcase>
  <testcase name="boom"><error message="crashed"/></testcase>
  <testcase classname="pkg.mod" name="later"><skipped/></testcase>
  <testsuite name="inner"><testcase classname="inner" name="deep"/></testsuite>
</testsuite></testsuites>`;
    expect(parseJUnit(xml)).toEqual([
      { id: 'pkg.mod::ok', status: 'passed', durationMs: 250 },
      { id: 'pkg.mod::bad', status: 'failed', message: 'expected 1 & got 2\ntrace' },
      { id: 'outer::boom', status: 'failed', message: 'crashed' },
      { id: 'pkg.mod::later', status: 'skipped' },
      { id: 'inner::deep', status: 'passed' },
    ]);
  });

  it('never expands DOCTYPE entities, and refuses external ones', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<testsuite name="s"><testcase classname="s" name="&b;"><failure message="&b;&b;"/></testcase></testsuite>`;
    const [only] = parseJUnit(laughs);
    expect(only.id).toBe('s::&b;');
    expect(only.message).toBe('&b;&b;');
    const external = `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite name="s"><testcase name="&x;"/></testsuite>`;
    expect(() => parseJUnit(external)).toThrow(/External entities are not supported/);
  });
});

describe('readResultsDir', () => {
  const suite = (cases: string) => `<testsuite name="s">${cases}</testsuite>`;

  it('reads every .xml under the folder; the same test twice keeps its worst outcome', () => {
    writeFileSync(path.join(dir, 'run1.xml'), suite('<testcase classname="s" name="a"><failure message="x"/></testcase><testcase classname="s" name="b"/>'));
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'run2.xml'), suite('<testcase classname="s" name="a"/><testcase classname="s" name="c"><skipped/></testcase>'));
    writeFileSync(path.join(dir, 'notes.txt'), 'not junit');
    const { tests, problems } = readResultsDir(dir);
    expect(tests.map((t) => [t.id, t.status])).toEqual([['s::a', 'failed'], ['s::b', 'passed'], ['s::c', 'skipped']]);
    expect(problems).toEqual([]);
  });

  it('reports a broken file by name and reads the rest', () => {
    writeFileSync(path.join(dir, 'good.xml'), suite('<testcase classname="s" name="a"/>'));
    writeFileSync(path.join(dir, 'broken.xml'), '<testsuite><testcase name="x"></testsuite');
    const { tests, problems } = readResultsDir(dir);
    expect(tests.map((t) => t.id)).toEqual(['s::a']);
    expect(problems).toEqual([expect.stringMatching(/^broken\.xml: not valid JUnit XML/)]);
  });

  it('does not follow a link the suite left to a file of the worker host', () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'junit-host-'));
    writeFileSync(path.join(outside, 'host.xml'), suite('<testcase classname="host" name="secret"/>'));
    symlinkSync(path.join(outside, 'host.xml'), path.join(dir, 'linked.xml'));
    symlinkSync(outside, path.join(dir, 'linked-dir'));
    expect(readResultsDir(dir).tests).toEqual([]);
    rmSync(outside, { recursive: true, force: true });
  });

  it('a missing folder is a problem, not a crash', () => {
    expect(readResultsDir(path.join(dir, 'none')).problems).toEqual([expect.stringMatching(/^cannot read results: ENOENT/)]);
  });
});
