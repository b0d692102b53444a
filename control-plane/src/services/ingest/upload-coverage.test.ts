import { describe, expect, it } from 'vitest';
import { assemblyParts, contiguousPrefix, type ReceivedChunk } from './upload-coverage.js';

const chunk = (start: number, end: number): ReceivedChunk => ({ start, end, key: `${start}-${end}` });

/** Rebuilds the file from the parts, to check every byte comes from a chunk holding it. */
function rebuild(parts: Array<{ key: string; skipBytes: number }>): number[] {
  const bytes: number[] = [];
  for (const part of parts) {
    const [start, end] = part.key.split('-').map(Number) as [number, number];
    for (let b = start + part.skipBytes; b <= end; b++) bytes.push(b);
  }
  return bytes;
}

describe('upload coverage', () => {
  it('counts the contiguous prefix whatever the order, repeats and overlaps', () => {
    expect(contiguousPrefix([])).toBe(0);
    expect(contiguousPrefix([chunk(10, 19)])).toBe(0);
    expect(contiguousPrefix([chunk(10, 19), chunk(0, 9)])).toBe(20);
    expect(contiguousPrefix([chunk(0, 9), chunk(0, 9), chunk(5, 14), chunk(20, 29)])).toBe(15);
    expect(contiguousPrefix([chunk(0, 99), chunk(10, 20)])).toBe(100);
  });

  it('joins chunks into exactly the file, skipping what overlaps', () => {
    const chunks = [chunk(50, 99), chunk(0, 29), chunk(20, 59), chunk(0, 29), chunk(30, 39)];
    const parts = assemblyParts(chunks, 100)!;
    expect(rebuild(parts)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(parts.map((p) => p.key)).toEqual(['0-29', '20-59', '50-99']);
    expect(assemblyParts([chunk(0, 29), chunk(31, 99)], 100)).toBeUndefined();
  });

  it('agrees with a byte-by-byte model on random uploads', () => {
    for (let round = 0; round < 200; round++) {
      const size = 1 + Math.floor(Math.random() * 300);
      const chunks: ReceivedChunk[] = [];
      for (let i = 0; i < 1 + Math.floor(Math.random() * 12); i++) {
        const start = Math.floor(Math.random() * size);
        chunks.push(chunk(start, Math.min(size - 1, start + Math.floor(Math.random() * 80))));
      }
      const have = new Set(chunks.flatMap((c) => Array.from({ length: c.end - c.start + 1 }, (_, k) => c.start + k)));
      let prefix = 0;
      while (have.has(prefix)) prefix++;
      expect(contiguousPrefix(chunks)).toBe(prefix);
      const parts = assemblyParts(chunks, size);
      if (prefix >= size) expect(rebuild(parts!)).toEqual(Array.from({ length: size }, (_, i) => i));
      else expect(parts).toBeUndefined();
    }
  });
});
