import { describe, expect, it } from 'vitest';
import { EXIT_MARKER, PHASE_MARKER, PhaseTracker } from './phases.js';

describe('PhaseTracker', () => {
  it('follows the phase markers, also when one is split across chunks', () => {
    const text = `noise\n${PHASE_MARKER}install\nmore\n${PHASE_MARKER}install-candidate\n${PHASE_MARKER}test\nrunning\n${EXIT_MARKER}3\n`;
    for (let at = 0; at <= text.length; at++) {
      const tracker = new PhaseTracker();
      tracker.feed(text.slice(0, at));
      tracker.feed(text.slice(at));
      expect({ phase: tracker.phase, exit: tracker.exitStatus }, `cut at ${at}`).toEqual({ phase: 'test', exit: 3 });
      expect(tracker.testStartedAt).not.toBeNull();
    }
  });

  it('knows nothing until a marker has ended its line, and ignores markers inside other lines', () => {
    const tracker = new PhaseTracker();
    tracker.feed(`${PHASE_MARKER}test`);
    expect(tracker.phase).toBeNull();
    const other = new PhaseTracker();
    other.feed(`echo ${PHASE_MARKER}test\n`);
    expect(other.phase).toBeNull();
    expect(tracker.exitStatus).toBeNull();
    tracker.feed(`${EXIT_MARKER}not-a-number\n`);
    expect(tracker.exitStatus).toBeNull();
  });

  it('keeps only a bounded piece of a line that never ends', () => {
    const tracker = new PhaseTracker();
    tracker.feed('x'.repeat(100_000));
    tracker.feed(`\n${PHASE_MARKER}install\n`);
    expect(tracker.phase).toBe('install');
    expect((tracker as unknown as { partial: string }).partial.length).toBeLessThanOrEqual(256);
  });

  it('notices a refused fork in the output', () => {
    const tracker = new PhaseTracker();
    tracker.feed('all fine\n');
    expect(tracker.forkRefused).toBe(false);
    tracker.feed('sh: 1: Cannot fork\n');
    expect(tracker.forkRefused).toBe(true);
  });
});

describe('PhaseTracker on the schema step', () => {
  it('keeps the tail of what migrate printed, and nothing of the other phases', () => {
    const tracker = new PhaseTracker();
    tracker.feed(`${PHASE_MARKER}install\ninstalling\n${PHASE_MARKER}migrate\n`);
    tracker.feed(`${'x'.repeat(5000)}\nupgrade failed\n`);
    expect(tracker.phase).toBe('migrate');
    expect(tracker.migrateOutput.length).toBe(1000);
    expect(tracker.migrateOutput.endsWith('upgrade failed\n')).toBe(true);
    expect(tracker.migrateOutput).not.toContain('installing');
  });
});
