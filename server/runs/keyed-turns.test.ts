import { describe, expect, it } from 'vitest';
import { KeyedTurns } from './keyed-turns.js';

describe('KeyedTurns', () => {
  it('runs one key\'s tasks in order, past a failure, and other keys beside them', async () => {
    const turns = new KeyedTurns();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = turns.run('a', async () => {
      await gate;
      seen.push('a1');
      throw new Error('a1 failed');
    });
    const second = turns.run('a', async () => {
      seen.push('a2');
      return 2;
    });
    // Another key does not wait for the first key's gate.
    await turns.run('b', async () => void seen.push('b1'));
    expect(seen).toEqual(['b1']);
    release();
    await expect(first).rejects.toThrow('a1 failed');
    await expect(second).resolves.toBe(2);
    expect(seen).toEqual(['b1', 'a1', 'a2']);
  });
});
