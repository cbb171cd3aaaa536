import { describe, expect, it } from 'vitest';
import { commitUrl } from './commit-url.js';

describe('commitUrl', () => {
  const sha = 'a'.repeat(40);
  it('links GitHub and GitLab commits, whatever form the repository is named in', () => {
    expect(commitUrl('https://github.com/Quarry/quarry.git', sha)).toBe(`https://github.com/quarry/quarry/commit/${sha}`);
    expect(commitUrl('git@github.com:quarry/quarry.git', sha)).toBe(`https://github.com/quarry/quarry/commit/${sha}`);
    expect(commitUrl('https://gitlab.com/group/sub/quarry', sha)).toBe(`https://gitlab.com/group/sub/quarry/-/commit/${sha}`);
  });
  it('has no link for local paths and other hosts', () => {
    expect(commitUrl('/srv/git/quarry', sha)).toBeUndefined();
    expect(commitUrl('https://git.example.org/quarry.git', sha)).toBeUndefined();
  });
});
