import { isUtf8 } from 'node:buffer';
import type { BodyAnalysis, PreparedJson } from './body-analysis.js';
import { PREPARED_FROM } from './body-analysis.js';
import { chunkData } from './chunks.js';
import type { ByteSpan } from './json-scan.js';
import { mediaIdsDigest, mediaIdTokens } from './media-ids.js';

/**
 * The plain way to check a body: `JSON.parse` says whether it is JSON, then one pass over the
 * top level finds the members' spans (valid JSON by then, so only strings and nesting need
 * heed). Large members are prepared with one pass each, nothing remembered.
 */
export function analyzeParsed(bytes: Uint8Array, withChunks: boolean): BodyAnalysis {
  if (!isUtf8(bytes)) return { ok: false, message: 'it is not valid UTF-8' };
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    JSON.parse(text.toString('utf8'));
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const members = topLevelMembers(bytes);
  const prepared = new Map<string, PreparedJson>();
  for (const [name, span] of members ?? []) {
    if (span.end - span.start < PREPARED_FROM) continue;
    const own = bytes.subarray(span.start, span.end);
    const mediaIds = mediaIdTokens(own);
    const chunks = withChunks ? chunkData(own).map(({ hash, start, end }) => ({ hash, start, end })) : [];
    prepared.set(name, { chunks, mediaIds, mediaDigest: mediaIdsDigest(mediaIds) });
  }
  return { ok: true, members, prepared };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** After a string's opening quote at `i`: the index after its closing quote. */
function skipString(bytes: Uint8Array, i: number): number {
  for (i++; ; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) return i + 1;
    if (b === BACKSLASH) i++;
  }
}

/** The spans of the top-level members of valid JSON text; undefined when it is no object. */
export function topLevelMembers(bytes: Uint8Array): Map<string, ByteSpan> | undefined {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (isSpace(bytes[i])) i++;
  if (bytes[i] !== 0x7b) return undefined;
  i++;
  const members = new Map<string, ByteSpan>();
  for (;;) {
    while (isSpace(bytes[i])) i++;
    if (bytes[i] === 0x7d) return members;
    const keyEnd = skipString(bytes, i);
    const key = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + i, keyEnd - i).toString('utf8')) as string;
    i = keyEnd;
    while (isSpace(bytes[i])) i++;
    i++; // the colon
    while (isSpace(bytes[i])) i++;
    const start = i;
    let depth = 0;
    for (;;) {
      const b = bytes[i]!;
      if (b === QUOTE) {
        i = skipString(bytes, i);
        if (depth === 0) break;
        continue;
      }
      if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        if (depth === 0) break;
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (depth === 0 && (b === 0x2c || isSpace(b))) break;
      i++;
    }
    members.set(key, { start, end: i });
    while (isSpace(bytes[i])) i++;
    if (bytes[i] === 0x2c) i++;
  }
}
