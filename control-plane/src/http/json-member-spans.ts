/**
 * Finds where the values of top-level members of a JSON object lie in its bytes, without
 * building them: a project's `data` (megabytes) is kept and answered as the exact text the
 * client sent, never parsed and re-serialized. The bytes must already be known to be valid
 * JSON (the body parser has parsed them); on anything else the result is undefined.
 */

export interface ByteSpan {
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * The spans of the named members' values in a top-level JSON object (UTF-8 bytes). As with
 * `JSON.parse`, the last of duplicate keys wins. Undefined when the text is not an object.
 */
export function topLevelMemberSpans(bytes: Uint8Array, names: readonly string[]): Map<string, ByteSpan> | undefined {
  const found = new Map<string, ByteSpan>();
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 byte order mark
  i = skipSpace(bytes, i);
  if (bytes[i] !== OPEN_BRACE) return undefined;
  i = skipSpace(bytes, i + 1);
  if (bytes[i] === CLOSE_BRACE) return found;
  for (;;) {
    if (bytes[i] !== QUOTE) return undefined;
    const keyEnd = skipString(bytes, i);
    if (keyEnd < 0) return undefined;
    const key = decodeKey(bytes, i, keyEnd);
    i = skipSpace(bytes, keyEnd);
    if (bytes[i] !== COLON) return undefined;
    const start = skipSpace(bytes, i + 1);
    const end = skipValue(bytes, start);
    if (end < 0) return undefined;
    if (key !== undefined && names.includes(key)) found.set(key, { start, end });
    i = skipSpace(bytes, end);
    if (bytes[i] === COMMA) {
      i = skipSpace(bytes, i + 1);
      continue;
    }
    return bytes[i] === CLOSE_BRACE ? found : undefined;
  }
}

function skipSpace(bytes: Uint8Array, i: number): number {
  while (isSpace(bytes[i])) i++;
  return i;
}

/** From an opening quote to just past the closing one; -1 when unterminated. */
function skipString(bytes: Uint8Array, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function skipValue(bytes: Uint8Array, i: number): number {
  const first = bytes[i];
  if (first === QUOTE) return skipString(bytes, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return skipComposite(bytes, i);
  // A number, true, false or null: runs to the next delimiter.
  let j = i;
  while (j < bytes.length) {
    const b = bytes[j]!;
    if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) break;
    j++;
  }
  return j > i ? j : -1;
}

function skipComposite(bytes: Uint8Array, i: number): number {
  let depth = 0;
  const length = bytes.length;
  let j = i;
  while (j < length) {
    const b = bytes[j]!;
    if (b === QUOTE) {
      j = skipString(bytes, j);
      if (j < 0) return -1;
      continue;
    }
    if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
    else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return -1;
}

function decodeKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  if (!text.includes('\\')) return text.slice(1, -1);
  try {
    return JSON.parse(text) as string;
  } catch {
    return undefined;
  }
}
