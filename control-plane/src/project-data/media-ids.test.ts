import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { mediaIdsDigest, mediaIdTokens } from './media-ids.js';

describe('mediaIdTokens', () => {
  it('finds ids made by newId wherever the data mentions them', () => {
    const [a, b, c, d, e] = Array.from({ length: 5 }, newId) as [string, string, string, string, string];
    const data = JSON.stringify({
      clips: [{ media: a }, { src: `https://cdn.example/media/${b}/preview.mp4?x=1` }],
      nested: JSON.stringify({ deep: [c] }),
      text: `line\n${d}`,
      again: a,
      tail: `${e}`,
    });
    expect(mediaIdTokens(Buffer.from(data))).toEqual([a, b, c, d, e].sort());
  });

  it('ignores runs of id characters that are longer or shorter, or cannot end an id', () => {
    const id = newId();
    const notEnding = `${id.slice(0, 21)}B`;
    expect(mediaIdTokens(Buffer.from(`"${id}x" "x${id}" "${id.slice(1)}" "${notEnding}"`))).toEqual([]);
    expect(mediaIdTokens(Buffer.alloc(0))).toEqual([]);
  });

  it('digests the set, not the order of mention', () => {
    const ids = [newId(), newId()].sort();
    expect(mediaIdsDigest(ids)).toBe(mediaIdsDigest([...ids]));
    expect(mediaIdsDigest(ids)).not.toBe(mediaIdsDigest([ids[0]!]));
  });
});

describe('mediaIdTokens on generated text', () => {
  /** The rule written plainly, to check the fast scan against. */
  const reference = (text: string) =>
    [...new Set([...text.matchAll(/(?:(?<![A-Za-z0-9_-])|(?<=\\[bfnrt]))[A-Za-z0-9_-]{21}[AQgw](?![A-Za-z0-9_-])/g)].map((m) => m[0]))].sort();

  it('agrees with the plain rule', () => {
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = ['"', ',', ' ', '\\n', '\\t', '\\\\', '/', 'é', 'a', 'Zz9_-', '—', '{"k":'];
    for (let round = 0; round < 300; round++) {
      let text = '';
      while (text.length < 400) {
        const roll = next();
        if (roll < 0.3) text += newId();
        else if (roll < 0.4) text += newId().slice(0, 1 + Math.floor(next() * 21)) + newId().slice(0, Math.floor(next() * 3));
        else text += pieces[Math.floor(next() * pieces.length)];
      }
      expect(mediaIdTokens(Buffer.from(text))).toEqual(reference(text));
    }
  });
});
