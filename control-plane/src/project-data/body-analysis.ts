import { isUtf8 } from 'node:buffer';
import { JsonScanner, JsonSyntaxError, scanJson, type ByteSpan, type ScanState } from './json-scan.js';
import { chunkData, chunkHash, type DataChunk } from './chunks.js';
import { mediaIdsDigest, mediaIdTokens } from './media-ids.js';
import { Lru } from './lru.js';

/**
 * Checks a JSON body and, for a large one, prepares its large members for storage: their
 * content-defined chunks and the media ids they mention. An autosave sends the same megabytes
 * again and again with an edit in between, so the body is cut into chunks first and what was
 * found in a stretch of chunks is remembered by their hashes: the JSON check skips a stretch
 * it has seen scanned from the same state, and the media ids of a stretch are looked up. Only
 * the chunks around an edit are read again.
 */

/** Bodies from this size are analyzed in chunks. */
export const CHUNKED_FROM = 64 * 1024;
/** Members of a chunked body from this size come prepared for storage. */
export const PREPARED_FROM = 64 * 1024;
/** Remembered stretches (a few hundred bytes each): some thousands of 2 MB projects. */
const REMEMBERED = 100_000;

/** JSON stored in chunks: their hashes and places, and the media ids the text mentions. */
export interface PreparedJson {
  chunks: Array<{ hash: string; start: number; end: number }>;
  mediaIds: string[];
  mediaDigest: string;
}

/** JSON that did not come prepared (a small body's): its chunks and the media ids it mentions. */
export function prepareJson(bytes: Uint8Array): PreparedJson {
  const mediaIds = mediaIdTokens(bytes);
  return {
    chunks: chunkData(bytes).map(({ hash, start, end }) => ({ hash, start, end })),
    mediaIds,
    mediaDigest: mediaIdsDigest(mediaIds),
  };
}

export type BodyAnalysis = { ok: true; members: Map<string, ByteSpan> | undefined; prepared: Map<string, PreparedJson> } | { ok: false; message: string };

/** Scan states at the end of stretches, by the stretch's chunk hashes and the state it began in. */
const scans = new Lru<ScanState>(REMEMBERED);
/** Media ids of stretches, by their chunk hashes. */
const tokens = new Lru<string[]>(REMEMBERED);

export function analyzeBody(bytes: Uint8Array): BodyAnalysis {
  if (!isUtf8(bytes)) return { ok: false, message: 'it is not valid UTF-8' };
  if (bytes.length < CHUNKED_FROM) {
    const scan = scanJson(bytes);
    return scan.ok ? { ok: true, members: scan.members, prepared: new Map() } : { ok: false, message: `${scan.reason} at byte ${scan.offset}` };
  }
  const chunks = chunkData(bytes);
  let members: Map<string, ByteSpan> | undefined;
  try {
    members = checkInStretches(bytes, chunks);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message };
    throw error;
  }
  const prepared = new Map<string, PreparedJson>();
  for (const [name, span] of members ?? []) {
    if (span.end - span.start >= PREPARED_FROM) prepared.set(name, prepareSpan(bytes, span, chunks));
  }
  return { ok: true, members, prepared };
}

/**
 * Scans the body stretch by stretch (chunks up to one that ends at a safe place), skipping
 * stretches remembered. Only stretches that stay below the top level are remembered: what they
 * hold is no top-level member, so skipping them records nothing amiss.
 */
function checkInStretches(bytes: Uint8Array, chunks: DataChunk[]): Map<string, ByteSpan> | undefined {
  const scanner = new JsonScanner(bytes);
  let names = '';
  for (const chunk of chunks) {
    names += chunk.hash;
    if (!chunk.safeEnd) continue;
    const key = `${names}|${scanner.stateKey()}`;
    names = '';
    const known = scans.get(key);
    if (known) {
      scanner.resume(chunk.end, known);
      continue;
    }
    scanner.markDepth();
    scanner.scanTo(chunk.end);
    if (scanner.lowestDepthSinceMark >= 2) scans.set(key, scanner.state());
  }
  return scanner.finish();
}

/**
 * A member's chunks are the body's chunks within its span, the first and last cut to it; its
 * media ids are those of its stretches (a token never runs across a safe end).
 */
function prepareSpan(bytes: Uint8Array, span: ByteSpan, chunks: DataChunk[]): PreparedJson {
  const own: DataChunk[] = [];
  for (const chunk of chunks) {
    if (chunk.end <= span.start || chunk.start >= span.end) continue;
    const start = Math.max(chunk.start, span.start);
    const end = Math.min(chunk.end, span.end);
    const whole = start === chunk.start && end === chunk.end;
    own.push({
      hash: whole ? chunk.hash : chunkHash(bytes.subarray(start, end)),
      start,
      end,
      safeEnd: end === span.end || chunk.safeEnd,
    });
  }
  const ids = new Set<string>();
  let names = '';
  let stretchStart = span.start;
  for (const chunk of own) {
    names += chunk.hash;
    if (!chunk.safeEnd) continue;
    let found = tokens.get(names);
    if (!found) {
      found = mediaIdTokens(bytes.subarray(stretchStart, chunk.end));
      tokens.set(names, found);
    }
    for (const id of found) ids.add(id);
    names = '';
    stretchStart = chunk.end;
  }
  const mediaIds = [...ids].sort();
  return {
    chunks: own.map((c) => ({ hash: c.hash, start: c.start - span.start, end: c.end - span.start })),
    mediaIds,
    mediaDigest: mediaIdsDigest(mediaIds),
  };
}
