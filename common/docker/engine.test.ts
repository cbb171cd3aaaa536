import { describe, expect, it } from 'vitest';
import { engineStatus, isConflict, isNotFound } from './engine.js';

describe('engine status of a failed call', () => {
  it('reads the status dockerode puts on its errors, and nothing else', () => {
    const gone = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
    const taken = Object.assign(new Error('(HTTP code 409) name already in use'), { statusCode: 409 });
    expect([engineStatus(gone), isNotFound(gone), isConflict(gone)]).toEqual([404, true, false]);
    expect([engineStatus(taken), isNotFound(taken), isConflict(taken)]).toEqual([409, false, true]);
    for (const other of [new Error('socket hang up'), { statusCode: '404' }, null, undefined, 'text']) {
      expect([engineStatus(other), isNotFound(other), isConflict(other)]).toEqual([undefined, false, false]);
    }
  });
});
