import { describe, expect, it } from 'vitest';
import { isValidRefName, refNameProblem } from './ref.js';

describe('git ref names', () => {
  it.each(['v1.0.0', 'rel_0_9_5', 'release/1.2', 'a1b2c3d4e5f6', 'v2.0.0-rc.1+build.5'])('accepts %s', (ref) => {
    expect(refNameProblem(ref)).toBeNull();
  });

  it.each([
    ['', 'is empty'],
    ['v1;rm -rf /', 'character'],
    ['$(reboot)', 'character'],
    ['`id`', 'character'],
    ['../../etc/passwd', '".."'],
    ['-delete', 'starts with "-"'],
    ['v1.lock', '.lock'],
    ['a//b', '//'],
    ['x@{1}', 'character'],
    ['@', '"@"'],
    ['.hidden', 'component'],
    ['v'.repeat(300), 'longer'],
    ['tab\there', 'character'],
  ])('refuses %j', (ref, why) => {
    expect(isValidRefName(ref)).toBe(false);
    expect(refNameProblem(ref)).toContain(why);
  });
});
