import { createHash } from 'node:crypto';

/**
 * Content-defined chunks of a project's data. An autosave sends the whole timeline (megabytes)
 * though an edit changes a few bytes of it; cut where the content says (a rolling hash of the
 * last bytes), the chunks before and after an edit come out the same as last time, so a save
 * stores only the chunks it does not already have.
 */

export interface DataChunk {
  /** 128 bits of the SHA-256 of the chunk, base64url: the chunk's name within its project. */
  hash: string;
  start: number;
  end: number;
}

export const MIN_CHUNK = 4 * 1024;
export const MAX_CHUNK = 64 * 1024;
/**
 * A cut where the hash's top 13 bits are zero: about 8 KiB past the minimum on average. The
 * top bits mix the last 32 bytes; the low ones only the last few, too alike in JSON.
 */
const CUT_SHIFT = 32 - 13;
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

export function chunkData(bytes: Uint8Array): DataChunk[] {
  const chunks: DataChunk[] = [];
  const n = bytes.length;
  let start = 0;
  while (start < n) {
    const end = cutAfter(bytes, start, n);
    chunks.push({ hash: chunkHash(bytes.subarray(start, end)), start, end });
    start = end;
  }
  return chunks;
}

export function chunkHash(chunk: Uint8Array): string {
  return createHash('sha256').update(chunk).digest().subarray(0, 16).toString('base64url');
}

/**
 * Where the chunk starting at `start` ends. Cuts fall only between UTF-8 characters, so each
 * chunk is text of its own.
 */
function cutAfter(bytes: Uint8Array, start: number, n: number): number {
  if (n - start <= MIN_CHUNK) return n;
  const limit = Math.min(n, start + MAX_CHUNK);
  let h = 0;
  for (let i = start + MIN_CHUNK - WINDOW; i < limit; i++) {
    h = ((h << 1) + GEAR[bytes[i]!]!) | 0;
    if (h >>> CUT_SHIFT === 0 && i + 1 >= start + MIN_CHUNK && !isContinuation(bytes[i + 1])) return i + 1;
  }
  if (limit === n) return n;
  // No cut point within the largest size: cut there, at the start of a character.
  let end = limit;
  while (isContinuation(bytes[end])) end--;
  return end;
}

/** A byte inside a multi-byte UTF-8 character, not its first. */
const isContinuation = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;
