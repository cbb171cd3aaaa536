import { describe, expect, it } from 'vitest';
import { maskText, OutputMasker, StreamMasker } from './masker.js';

/** Feeds `parts` (bytes) through a fresh masker and returns everything it gave out. */
function stream(secrets: string[], parts: Buffer[]): string {
  const masker = new StreamMasker(secrets);
  return parts.map((p) => masker.push(p)).join('') + masker.end();
}

/** `text` cut into two chunks at byte `at`, and into three at `at` and `at2`. */
function cut(text: string, ...at: number[]): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const edges = [0, ...at, bytes.length];
  return edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
}

describe('StreamMasker', () => {
  const secret = 'cellsecret-0123456789';
  const text = `before ${secret} middle ${secret}\nafter`;
  const masked = 'before *** middle ***\nafter';

  it('masks a secret split between two chunks at every byte position', () => {
    const length = Buffer.byteLength(text);
    for (let at = 0; at <= length; at++) {
      expect(stream([secret], cut(text, at)), `cut at ${at}`).toBe(masked);
    }
  });

  it('masks a secret split across three chunks, wherever the cuts fall', () => {
    const length = Buffer.byteLength(text);
    for (let a = 0; a <= length; a++) {
      for (let b = a; b <= length; b += 3) expect(stream([secret], cut(text, a, b)), `cuts at ${a}, ${b}`).toBe(masked);
    }
  });

  it('masks a secret fed one byte at a time', () => {
    expect(stream([secret], [...Buffer.from(text)].map((byte) => Buffer.from([byte])))).toBe(masked);
  });

  it('masks a multi-byte UTF-8 secret cut inside a character, and keeps other characters whole', () => {
    const unicode = 'pässwörd-🔑-秘密';
    const around = `ünïcode → ${unicode} ← 日本語 🎉`;
    const length = Buffer.byteLength(around);
    for (let at = 0; at <= length; at++) {
      expect(stream([unicode], cut(around, at)), `cut at byte ${at}`).toBe('ünïcode → *** ← 日本語 🎉');
      // Without a secret, a character cut between chunks still comes out whole.
      expect(stream([], cut(around, at)), `no secret, cut at byte ${at}`).toBe(around);
    }
  });

  it('masks the whole of a longer secret that contains a shorter one, however it is cut', () => {
    const long = 'prefix-SHORT-suffix';
    const line = `x ${long} y SHORT z`;
    for (let at = 0; at <= line.length; at++) expect(stream(['SHORT', long], cut(line, at)), `cut at ${at}`).toBe('x *** y *** z');
  });

  it('gives text back without delay when there is no secret, and a held tail at the end', () => {
    const masker = new StreamMasker([]);
    expect(masker.push('plain text')).toBe('plain text');
    const masking = new StreamMasker([secret]);
    const out = masking.push('line one\n');
    // Held back: at most the longest secret's length less one byte.
    expect(out.length).toBeGreaterThanOrEqual(Math.max(0, 'line one\n'.length - (secret.length - 1)));
    expect(out + masking.end()).toBe('line one\n');
  });

  it('ignores values too short to mask', () => {
    expect(stream(['ab', ''], [Buffer.from('a b ab abc')])).toBe('a b ab abc');
  });
});

describe('OutputMasker', () => {
  it('masks a secret split on stdout while stderr output arrives between its pieces', () => {
    const secret = 'cellsecret-0123456789';
    for (let at = 0; at <= secret.length; at++) {
      const masker = new OutputMasker([secret]);
      const log =
        masker.push(`split: ${secret.slice(0, at)}`, 'stdout') +
        masker.push('to stderr: ', 'stderr') +
        masker.push(`${secret.slice(at)}\n`, 'stdout') +
        masker.push(`${secret}\n`, 'stderr') +
        masker.end();
      // No piece of it shows, wherever the cut: each stream's pieces waited for the rest.
      expect(log, `cut at ${at}`).not.toMatch(/c|[0-9]/);
      expect(log.split('***').length - 1).toBe(2);
      expect(log).toContain('split: ***');
    }
  });
});

describe('maskText', () => {
  it('masks every secret in a whole text', () => {
    expect(maskText(['s3cr3t', 'other-secret'])('id s3cr3t, msg other-secret and s3cr3t')).toBe('id ***, msg *** and ***');
    expect(maskText([])('s3cr3t')).toBe('s3cr3t');
  });
});
