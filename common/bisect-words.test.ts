import { describe, expect, it } from 'vitest';
import { bisectedOnNote, culpritsLine, culpritsOf } from './bisect-words.js';

const commit = (sha: string, subject: string) => ({ sha: sha.padEnd(40, '0'), subject, author: 'Q', date: '2024-04-12T10:00:00Z' });

describe('a bisect in words', () => {
  it('groups the first bad commits by their tests, as the issue words it', () => {
    const b = { culprits: [{ firstBad: commit('aaaaaaa', 'RETURNING'), tests: ['x'], testsTotal: 12 }, { firstBad: commit('bbbbbbb', 'knex methods'), tests: ['k'] }] };
    expect(culpritsLine(b)).toBe('12 tests first fail at aaaaaaa: RETURNING; 1 test first fails at bbbbbbb: knex methods');
  });
  it('reads a bisect from before the culprits as its one first bad commit', () => {
    expect(culpritsOf({ firstBad: commit('ccccccc', 'old') })).toEqual([{ firstBad: commit('ccccccc', 'old'), tests: [] }]);
    expect(culpritsOf({})).toEqual([]);
  });
  it('says which cell the bisect ran on, and how much of this cell it explains, only on another cell', () => {
    expect(bisectedOnNote('app.postgres', { cellId: 'app.postgres', explains: { tests: 3, of: 3 } })).toBeNull();
    expect(bisectedOnNote('app.mysql', { cellId: 'app.postgres' })).toBe('bisected on postgres');
    expect(bisectedOnNote('app.mysql', { cellId: 'app.postgres-17.orm-2', explains: { tests: 13, of: 13 } })).toBe("bisected on postgres-17.orm-2; explains all 13 of this cell's new failures");
    expect(bisectedOnNote('app.mysql', { cellId: 'app.postgres', explains: { tests: 0, of: 2 } })).toBe("bisected on postgres; explains none of this cell's new failures");
    expect(bisectedOnNote('app.mysql', { cellId: 'app.postgres', explains: { tests: 1, of: 1 } })).toBe("bisected on postgres; explains this cell's new failure");
  });
});
