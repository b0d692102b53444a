import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { mediaIdsDigest, mediaIdTokens } from './media-id-tokens.js';

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
    expect(mediaIdTokens(data)).toEqual([a, b, c, d, e].sort());
  });

  it('ignores runs of id characters that are longer or shorter, or cannot end an id', () => {
    const id = newId();
    const notEnding = `${id.slice(0, 21)}B`;
    expect(mediaIdTokens(`"${id}x" "x${id}" "${id.slice(1)}" "${notEnding}"`)).toEqual([]);
    expect(mediaIdTokens('')).toEqual([]);
  });

  it('digests the set, not the order of mention', () => {
    const ids = [newId(), newId()].sort();
    expect(mediaIdsDigest(ids)).toBe(mediaIdsDigest([...ids]));
    expect(mediaIdsDigest(ids)).not.toBe(mediaIdsDigest([ids[0]!]));
  });
});
