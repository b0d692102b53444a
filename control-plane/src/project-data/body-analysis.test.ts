import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scanJson } from './json-scan.js';
import { chunkHash } from './chunks.js';
import { mediaIdTokens } from './media-ids.js';
import { newId } from '../ids.js';
import { analyzeBody, CHUNKED_FROM } from './body-analysis.js';

/** An autosave body: a timeline of about `bytes` bytes mentioning `ids`, with awkward strings. */
function body(bytes: number, ids: string[], seed = 'a'): string {
  const clips: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const clip = JSON.stringify({
      id: `clip-${i}`,
      media: ids[i % ids.length],
      note: i % 7 === 0 ? `a, "quoted": {b}] \\ ${seed}` : `plan ${i} — ✂`,
      nested: { list: [i, -1.5e3, true, null, [], {}], text: `line\n${ids[(i * 3) % ids.length]}` },
    });
    clips.push(clip);
    size += Buffer.byteLength(clip) + 1;
  }
  return `{"name":"Timeline","data":{"clips":[${clips.join(',')}]},"modifTime":5}`;
}

/** What a whole scan says, in the analysis's words. */
function plainly(bytes: Buffer) {
  const scan = scanJson(bytes);
  return scan.ok ? { ok: true, members: scan.members } : { ok: false, message: `${scan.reason} at byte ${scan.offset}` };
}

describe('analyzeBody', () => {
  const ids = Array.from({ length: 40 }, newId);
  const text = body(1.5 * 2 ** 20, ids);

  it('answers as a whole scan does, the first time and from what it remembers', () => {
    const bytes = Buffer.from(text);
    expect(bytes.length).toBeGreaterThan(CHUNKED_FROM);
    for (let round = 0; round < 2; round++) {
      const analysis = analyzeBody(bytes);
      expect(analysis).toMatchObject(plainly(bytes));
    }
  });

  it('prepares the large member: its chunks cover it, and it mentions the media ids a full scan finds', () => {
    const bytes = Buffer.from(text);
    const analysis = analyzeBody(bytes);
    if (!analysis.ok) throw new Error(analysis.message);
    const span = analysis.members!.get('data')!;
    const data = bytes.subarray(span.start, span.end);
    const prepared = analysis.prepared.get('data')!;
    expect([...analysis.prepared.keys()]).toEqual(['data']);
    let at = 0;
    for (const chunk of prepared.chunks) {
      expect(chunk.start).toBe(at);
      expect(chunk.hash).toBe(chunkHash(data.subarray(chunk.start, chunk.end)));
      at = chunk.end;
    }
    expect(at).toBe(data.length);
    expect(prepared.mediaIds).toEqual(mediaIdTokens(data));
    expect(prepared.mediaIds).toEqual([...ids].sort());
  });

  it('finds every fault of an edited body, whatever it remembers of the unedited one', () => {
    analyzeBody(Buffer.from(text));
    let state = 11;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const edits = ['', '"', '\\', ',', ':', '}', ']', '{', '[', '0', '-', ' ', '\u0001', 'x', '"k":1,', '{"a":['];
    for (let round = 0; round < 120; round++) {
      const at = Math.floor(next() * text.length);
      const cut = Math.floor(next() * 4);
      const edited = Buffer.from(text.slice(0, at) + edits[Math.floor(next() * edits.length)] + text.slice(at + cut));
      expect(analyzeBody(edited), `edit at ${at}`).toMatchObject(plainly(edited));
    }
  });

  it('finds the media ids an edit adds or removes', () => {
    const added = newId();
    const edited = text.replace(`"media":"${ids[3]}"`, `"media":"${added}"`);
    analyzeBody(Buffer.from(text));
    const analysis = analyzeBody(Buffer.from(edited));
    if (!analysis.ok) throw new Error(analysis.message);
    expect(analysis.prepared.get('data')!.mediaIds).toEqual([...ids, added].sort());
    const removedEverywhere = edited.replaceAll(ids[5]!, 'gone');
    const without = analyzeBody(Buffer.from(removedEverywhere));
    if (!without.ok) throw new Error(without.message);
    expect(without.prepared.get('data')!.mediaIds).toEqual([...ids, added].filter((id) => id !== ids[5]).sort());
  });

  it('refuses bytes that are not UTF-8, and handles text with no safe place to cut', () => {
    expect(analyzeBody(Buffer.concat([Buffer.from(text.slice(0, 100_000)), Buffer.from([0xc3, 0x28])]))).toEqual({
      ok: false,
      message: 'it is not valid UTF-8',
    });
    // A long base64 string (no , : } or ]) is cut anywhere; the check and the ids still hold.
    const id = newId();
    const opaque = Buffer.from(`{"data":["${randomBytes(300_000).toString('base64')}", "${id}"]}`);
    const analysis = analyzeBody(opaque);
    expect(analysis).toMatchObject(plainly(opaque));
    if (!analysis.ok) throw new Error(analysis.message);
    const span = analysis.members!.get('data')!;
    expect(analysis.prepared.get('data')!.mediaIds).toEqual(mediaIdTokens(opaque.subarray(span.start, span.end)));
  });
});
