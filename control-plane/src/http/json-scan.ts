/**
 * Checks that bytes are one JSON text (RFC 8259) without building it, and says where the
 * values of its top-level members lie. Autosave bodies carry megabytes of timeline JSON that
 * are stored and answered as the exact bytes sent: checking them in one pass over the bytes
 * costs a fraction of `JSON.parse`, which would build every object only to throw it away.
 * UTF-8 validity is checked apart (natively, by `buffer.isUtf8`).
 */

export interface ByteSpan {
  start: number;
  end: number;
}

export type JsonScan =
  | {
      ok: true;
      /** For a top-level object: each member's value span, the last of duplicate keys winning as with `JSON.parse`. */
      members: Map<string, ByteSpan> | undefined;
    }
  | { ok: false; offset: number; reason: string };

/** Deeper nesting is refused: no editor needs it, and it bounds the scanner's stack. */
export const MAX_DEPTH = 10_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;

const OBJECT = 1;
const ARRAY = 2;

/** Bytes that end a run of plain string content: the quote, a backslash, control characters. */
const stringStop = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) stringStop[b] = 1;
stringStop[QUOTE] = 1;
stringStop[BACKSLASH] = 1;

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
/** Letters that may follow a backslash: " \ / b f n r t (u is handled apart). */
const isSimpleEscape = (b: number) =>
  b === QUOTE || b === BACKSLASH || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74;

class JsonSyntaxError {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

const fail = (offset: number, reason: string): never => {
  throw new JsonSyntaxError(offset, reason);
};

export function scanJson(bytes: Uint8Array): JsonScan {
  try {
    return { ok: true, members: scan(bytes) };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, offset: error.offset, reason: error.reason };
    throw error;
  }
}

/**
 * One loop with the position in a local variable: this runs over megabytes per autosave, and
 * V8 keeps it tight only when nothing escapes into objects or closures.
 */
function scan(bytes: Uint8Array): Map<string, ByteSpan> | undefined {
  const n = bytes.length;
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // UTF-8 byte order mark
  while (i < n && isSpace(bytes[i]!)) i++;
  const members = bytes[i] === OPEN_BRACE ? new Map<string, ByteSpan>() : undefined;
  const stack = new Uint8Array(MAX_DEPTH);
  let depth = 0;
  let key = '';
  let valueStart = 0;
  /** Where a string that must be decoded (a top-level member name) starts; -1 when none. */
  let keyStart = -1;
  let expectKey = false;

  for (;;) {
    while (i < n && isSpace(bytes[i]!)) i++;
    const first = bytes[i];
    let b = first;

    if (expectKey) {
      // A member name and its colon.
      if (b !== QUOTE) fail(i, 'expected a member name in double quotes');
      keyStart = members !== undefined && depth === 1 ? i : -1;
    } else {
      if (members !== undefined && depth === 1) valueStart = i;
      if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (depth === MAX_DEPTH) fail(i, `nested deeper than ${MAX_DEPTH} levels`);
        i++;
        while (i < n && isSpace(bytes[i]!)) i++;
        if (bytes[i] === (b === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
          i++;
        } else {
          stack[depth++] = b === OPEN_BRACE ? OBJECT : ARRAY;
          expectKey = b === OPEN_BRACE;
          continue;
        }
      } else if (b === MINUS || (b !== undefined && b >= 0x30 && b <= 0x39)) {
        if (b === MINUS) b = bytes[++i];
        if (b === ZERO) i++;
        else if (b !== undefined && b >= 0x31 && b <= 0x39) while (i < n && isDigit(bytes[i]!)) i++;
        else fail(i, 'invalid number');
        if (bytes[i] === DOT) {
          i++;
          if (!(i < n && isDigit(bytes[i]!))) fail(i, 'invalid number: a digit must follow the point');
          while (i < n && isDigit(bytes[i]!)) i++;
        }
        b = bytes[i];
        if (b === 0x65 || b === 0x45) {
          i++;
          if (bytes[i] === PLUS || bytes[i] === MINUS) i++;
          if (!(i < n && isDigit(bytes[i]!))) fail(i, 'invalid number: a digit must follow the exponent');
          while (i < n && isDigit(bytes[i]!)) i++;
        }
      } else if (b === 0x74) {
        i = literal(bytes, i, 'true');
      } else if (b === 0x66) {
        i = literal(bytes, i, 'false');
      } else if (b === 0x6e) {
        i = literal(bytes, i, 'null');
      } else if (b !== QUOTE) {
        fail(i, b === undefined ? 'unexpected end of the body' : 'expected a JSON value');
      }
    }

    if (first === QUOTE) {
      // A string (a value or a member name).
      const start = i;
      let escaped = false;
      i++;
      for (;;) {
        while (i < n && stringStop[bytes[i]!] === 0) i++;
        if (i >= n) fail(start, 'unterminated string');
        const c = bytes[i]!;
        if (c === QUOTE) break;
        if (c !== BACKSLASH) fail(i, 'control character in a string (it must be escaped)');
        escaped = true;
        const e = bytes[i + 1];
        if (e !== undefined && isSimpleEscape(e)) i += 2;
        else if (e === 0x75 && isHex(bytes[i + 2] ?? 0) && isHex(bytes[i + 3] ?? 0) && isHex(bytes[i + 4] ?? 0) && isHex(bytes[i + 5] ?? 0)) i += 6;
        else fail(i, 'invalid escape in a string');
      }
      i++;
      if (expectKey) {
        if (keyStart >= 0) key = decodeKey(bytes, keyStart, i, escaped);
        while (i < n && isSpace(bytes[i]!)) i++;
        if (bytes[i] !== COLON) fail(i, "expected ':' after a member name");
        i++;
        expectKey = false;
        continue;
      }
    }

    // A value ended: close the containers it completes, then find the next value.
    for (;;) {
      if (depth === 0) {
        while (i < n && isSpace(bytes[i]!)) i++;
        if (i !== n) fail(i, 'unexpected data after the JSON value');
        return members;
      }
      if (members !== undefined && depth === 1) members.set(key, { start: valueStart, end: i });
      while (i < n && isSpace(bytes[i]!)) i++;
      const c = bytes[i];
      const container = stack[depth - 1];
      if (c === COMMA) {
        i++;
        expectKey = container === OBJECT;
        break;
      }
      if ((c === CLOSE_BRACE && container === OBJECT) || (c === CLOSE_BRACKET && container === ARRAY)) {
        i++;
        depth--;
        continue;
      }
      fail(i, container === OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
}

function literal(bytes: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) {
    if (bytes[i + k] !== word.charCodeAt(k)) fail(i, 'expected a JSON value');
  }
  return i + word.length;
}

function decodeKey(bytes: Uint8Array, start: number, end: number, escaped: boolean): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  return escaped ? (JSON.parse(text) as string) : text.slice(1, -1);
}
