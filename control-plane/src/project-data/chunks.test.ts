import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkData, chunkHash, MAX_CHUNK, MIN_CHUNK } from './chunks.js';

/** Timeline-like JSON with multi-byte characters, about `bytes` long. */
function timeline(bytes: number, seed: string): Buffer {
  const clips: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const clip = JSON.stringify({ id: `clip-${i}`, media: `${seed}-${i % 37}`, start: i * 40_000_000, title: `Plan ${i} — prise ✂` });
    clips.push(clip);
    size += Buffer.byteLength(clip) + 1;
  }
  return Buffer.from(`{"clips":[${clips.join(',')}]}`);
}

const hashes = (bytes: Buffer) => chunkData(bytes).map((c) => c.hash);

describe('chunkData', () => {
  it('covers the data exactly, in chunks within the sizes, each whole UTF-8 text', () => {
    for (const data of [timeline(3 * 2 ** 20, 'a'), randomBytes(600_000), Buffer.from('é'.repeat(100_000)), Buffer.from('null')]) {
      const chunks = chunkData(data);
      let at = 0;
      for (const [i, chunk] of chunks.entries()) {
        expect(chunk.start).toBe(at);
        const size = chunk.end - chunk.start;
        expect(size).toBeLessThanOrEqual(MAX_CHUNK);
        if (i < chunks.length - 1) expect(size).toBeGreaterThanOrEqual(MIN_CHUNK - 3);
        const piece = data.subarray(chunk.start, chunk.end);
        expect(chunk.hash).toBe(chunkHash(piece));
        // Text stays text in every piece: a cut never splits a character.
        if (isUtf8(data)) expect(isUtf8(piece)).toBe(true);
        at = chunk.end;
      }
      expect(at).toBe(data.length);
    }
  });

  it('cuts the same way on every run, and an edit changes only the chunks around it', () => {
    const original = timeline(2 * 2 ** 20, 'b');
    expect(hashes(original)).toEqual(hashes(Buffer.from(original)));
    const text = original.toString('utf8');
    const at = text.indexOf('"clip-7000"');
    for (const edited of [
      text.slice(0, at) + '"clip-7000","moved":true' + text.slice(at + 11), // an insertion
      text.slice(0, at) + text.slice(at + 40), // a deletion
      text.replace('"clip-7000"', '"clip-7001"'), // a change in place
    ]) {
      const before = new Set(hashes(original));
      const changed = hashes(Buffer.from(edited)).filter((h) => !before.has(h));
      expect(changed.length).toBeGreaterThanOrEqual(1);
      expect(changed.length).toBeLessThanOrEqual(3);
    }
  });

  it('averages chunks of some tens of KiB on timeline JSON', () => {
    const data = timeline(4 * 2 ** 20, 'c');
    const average = data.length / chunkData(data).length;
    expect(average).toBeGreaterThan(8 * 1024);
    expect(average).toBeLessThan(48 * 1024);
  });
});
