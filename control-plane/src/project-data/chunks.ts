import { createHash } from 'node:crypto';

/**
 * Content-defined chunks of JSON text. An autosave sends the whole timeline (megabytes) though
 * an edit changes a few bytes of it; cut where the content says (a rolling hash of the last
 * bytes), the chunks before and after an edit come out the same as last time, so a save stores
 * only the chunks it does not already have, and the work on unchanged chunks (checking the
 * JSON, finding media ids) can be remembered from the last time.
 */

export interface DataChunk {
  /** 128 bits of the SHA-256 of the chunk, base64url: the chunk's name within its project. */
  hash: string;
  start: number;
  end: number;
  /**
   * The chunk ends just after a `,` `:` `}` or `]`: a JSON scan can stop there between tokens
   * or inside a string's text, and no id-shaped token runs across. Else (no such byte within
   * the largest size) it ends anywhere between two UTF-8 characters. The last chunk counts as safe.
   */
  safeEnd: boolean;
}

export const MIN_CHUNK = 12 * 1024;
export const MAX_CHUNK = 64 * 1024;
/**
 * The rolling hash proposes a cut where its top 12 bits are zero: about 4 KiB past the minimum
 * on average (a large minimum spares hashing most bytes). The top bits mix the last 32 bytes;
 * the low ones only the last few, too alike in JSON. The cut itself comes after the next safe
 * byte.
 */
const CUT_SHIFT = 32 - 12;
/** The gear hash shifts one bit per byte, so only the last 32 bytes decide a cut. */
const WINDOW = 32;

/** A fixed random byte table (the gear), so cuts are the same on every replica and release. */
const GEAR = (() => {
  const gear = new Int32Array(256);
  let state = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    gear[i] = state;
  }
  return gear;
})();

const safe = new Uint8Array(256);
for (const c of ',:}]') safe[c.charCodeAt(0)] = 1;

export function chunkData(bytes: Uint8Array): DataChunk[] {
  const chunks: DataChunk[] = [];
  const n = bytes.length;
  let start = 0;
  while (start < n) {
    const { end, safeEnd } = cutAfter(bytes, start, n);
    chunks.push({ hash: chunkHash(bytes.subarray(start, end)), start, end, safeEnd });
    start = end;
  }
  return chunks;
}

export function chunkHash(chunk: Uint8Array): string {
  return createHash('sha256').update(chunk).digest().subarray(0, 16).toString('base64url');
}

/** Where the chunk starting at `start` ends. */
function cutAfter(bytes: Uint8Array, start: number, n: number): { end: number; safeEnd: boolean } {
  if (n - start <= MIN_CHUNK) return { end: n, safeEnd: true };
  const limit = Math.min(n, start + MAX_CHUNK);
  const gear = GEAR;
  let h = 0;
  let i = start + MIN_CHUNK - WINDOW;
  // The first bytes of the window only fill the hash; cuts are looked for from the minimum on.
  for (const warm = start + MIN_CHUNK - 1; i < warm; i++) h = ((h << 1) + gear[bytes[i]!]!) | 0;
  for (; i < limit; i++) {
    h = ((h << 1) + gear[bytes[i]!]!) | 0;
    if (h >>> CUT_SHIFT === 0) break;
  }
  for (; i < limit; i++) if (safe[bytes[i]!] === 1) return { end: i + 1, safeEnd: true };
  if (limit === n) return { end: n, safeEnd: true };
  // No safe byte before the largest size: cut there, at the start of a character.
  let end = limit;
  while (isContinuation(bytes[end])) end--;
  return { end, safeEnd: false };
}

/** A byte inside a multi-byte UTF-8 character, not its first. */
const isContinuation = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;
