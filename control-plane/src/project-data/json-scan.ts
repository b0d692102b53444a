/**
 * Checks that bytes are one JSON text (RFC 8259) without building it, and says where the
 * values of its top-level members lie. Autosave bodies carry megabytes of timeline JSON that
 * are stored and answered as the exact bytes sent: checking them in one pass over the bytes
 * costs a fraction of `JSON.parse`, which would build every object only to throw it away.
 * UTF-8 validity is checked apart (natively, by `buffer.isUtf8`).
 *
 * The scan can stop and go on: `scanTo` stops at a given offset just after a `,` `:` `}` or
 * `]` (between tokens, or inside a string's text), and `state` then says all the scan needs to
 * go on from there. A caller that has seen the same bytes scanned from the same state before
 * may skip them (see body-analysis.ts).
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

export class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${reason} at byte ${offset}`);
  }
}

export function scanJson(bytes: Uint8Array): JsonScan {
  try {
    const scanner = new JsonScanner(bytes);
    scanner.scanTo(bytes.length);
    return { ok: true, members: scanner.finish() };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, offset: error.offset, reason: error.reason };
    throw error;
  }
}

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

/** Containers on the stack. */
const OBJECT = 1;
const ARRAY = 2;

/** What the scan expects next. */
const VALUE = 0;
/** A member name, after a comma. */
const KEY = 1;
/** A member name or `}`, just after `{`. */
const FIRST_KEY = 2;
/** A value or `]`, just after `[`. */
const FIRST_VALUE = 3;
/** `,` or the container's end, after a value. */
const AFTER = 4;
/** The rest of a string (a value, or a name when `inKey`). */
const STRING = 5;
/** Nothing but whitespace: the top-level value is complete. */
const DONE = 6;

/** Bytes that end a run of plain string content: the quote, a backslash, control characters. */
const stringStop = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) stringStop[b] = 1;
stringStop[QUOTE] = 1;
stringStop[BACKSLASH] = 1;

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
/** Letters that may follow a backslash: " \ / b f n r t (u is handled apart). */
const isSimpleEscape = (b: number) => b === QUOTE || b === BACKSLASH || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74;

const fail = (offset: number, reason: string): never => {
  throw new JsonSyntaxError(offset, reason);
};

/** Where a scan stands between two `scanTo` calls: the expectation and the open containers. */
export interface ScanState {
  mode: number;
  inKey: boolean;
  /** The open containers, outermost first, one character each (a string: thousands are remembered). */
  stack: string;
}

export class JsonScanner {
  /** The next byte to look at. */
  private i: number;
  private depth = 0;
  private mode = VALUE;
  private inKey = false;
  private readonly stack = new Uint8Array(MAX_DEPTH);
  private readonly members: Map<string, ByteSpan> | undefined;
  private key = '';
  private valueStart = 0;
  /** Where the member name being read starts, when it is a top-level one (decoded); else -1. */
  private keyStart = -1;
  private keyEscaped = false;
  /** The least depth since `markDepth`. */
  private lowestDepth = 0;

  constructor(private readonly bytes: Uint8Array) {
    let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // UTF-8 byte order mark
    while (i < bytes.length && isSpace(bytes[i]!)) i++;
    this.i = i;
    this.members = bytes[i] === OPEN_BRACE ? new Map() : undefined;
  }

  /** Starts watching how shallow the scan gets (`lowestDepthSinceMark`). */
  markDepth(): void {
    this.lowestDepth = this.depth;
  }

  get lowestDepthSinceMark(): number {
    return this.lowestDepth;
  }

  state(): ScanState {
    return { mode: this.mode, inKey: this.inKey, stack: this.stackText() };
  }

  /** A text naming the state, for remembering scans. */
  stateKey(): string {
    return `${this.mode}${this.inKey ? 'k' : 'v'}${this.stackText()}`;
  }

  private stackText(): string {
    return Buffer.from(this.stack.buffer, 0, this.depth).toString('latin1');
  }

  /**
   * Goes on at `offset` in `state`, as if the bytes before had been scanned to it. Only for
   * states below the top level: what a skipped stretch would have recorded of top-level
   * members is not recorded.
   */
  resume(offset: number, state: ScanState): void {
    this.i = offset;
    this.mode = state.mode;
    this.inKey = state.inKey;
    for (let d = 0; d < state.stack.length; d++) this.stack[d] = state.stack.charCodeAt(d);
    this.depth = state.stack.length;
    this.keyStart = -1;
    if (this.depth < this.lowestDepth) this.lowestDepth = this.depth;
  }

  /** The top-level members, once the whole text has been scanned. */
  finish(): Map<string, ByteSpan> | undefined {
    if (this.i < this.bytes.length || this.mode !== DONE) {
      fail(this.bytes.length, this.mode === STRING ? 'unterminated string' : 'unexpected end of the body');
    }
    return this.members;
  }

  /**
   * Scans on to `until`, which must be the end of the bytes or just after a `,` `:` `}` or
   * `]`. Throws a JsonSyntaxError at the first fault.
   */
  scanTo(until: number): void {
    // The position and state live in locals while scanning: this runs over megabytes, and V8
    // keeps it tight only when nothing escapes into fields on every byte.
    const bytes = this.bytes;
    const n = bytes.length;
    const stack = this.stack;
    const members = this.members;
    let i = this.i;
    let depth = this.depth;
    let mode = this.mode;
    let lowest = this.lowestDepth;

    for (;;) {
      if (mode === STRING) {
        // The rest of a string: plain text runs, escapes, the closing quote.
        for (;;) {
          while (i < until && stringStop[bytes[i]!] === 0) i++;
          if (i >= until) {
            if (until >= n) fail(n, 'unterminated string');
            this.save(i, depth, mode, lowest);
            return;
          }
          const c = bytes[i]!;
          if (c === QUOTE) break;
          if (c !== BACKSLASH) fail(i, 'control character in a string (it must be escaped)');
          if (this.keyStart >= 0) this.keyEscaped = true;
          const e = bytes[i + 1];
          if (e !== undefined && isSimpleEscape(e)) i += 2;
          else if (e === 0x75 && isHex(bytes[i + 2] ?? 0) && isHex(bytes[i + 3] ?? 0) && isHex(bytes[i + 4] ?? 0) && isHex(bytes[i + 5] ?? 0)) i += 6;
          else fail(i, 'invalid escape in a string');
        }
        i++;
        if (this.inKey) {
          // A member name ends: its colon follows.
          if (this.keyStart >= 0) this.key = decodeKey(bytes, this.keyStart, i, this.keyEscaped);
          this.keyStart = -1;
          while (i < n && isSpace(bytes[i]!)) i++;
          if (bytes[i] !== COLON) fail(i, "expected ':' after a member name");
          i++;
          mode = VALUE;
          continue;
        }
        mode = depth === 0 ? DONE : AFTER;
        if (members !== undefined && depth === 1) members.set(this.key, { start: this.valueStart, end: i });
        continue;
      }

      while (i < until && isSpace(bytes[i]!)) i++;
      if (i >= until) {
        if (until >= n && mode !== DONE)
          fail(n, mode === AFTER ? (stack[depth - 1] === OBJECT ? "expected ',' or '}'" : "expected ',' or ']'") : 'unexpected end of the body');
        this.save(i, depth, mode, lowest);
        return;
      }
      let b = bytes[i]!;
      // An empty container ends as any other does, after its last value.
      if ((mode === FIRST_KEY && b === CLOSE_BRACE) || (mode === FIRST_VALUE && b === CLOSE_BRACKET)) mode = AFTER;

      if (mode === AFTER) {
        const container = stack[depth - 1];
        if (b === COMMA) {
          i++;
          mode = container === OBJECT ? KEY : VALUE;
          continue;
        }
        if ((b === CLOSE_BRACE && container === OBJECT) || (b === CLOSE_BRACKET && container === ARRAY)) {
          i++;
          depth--;
          if (depth < lowest) lowest = depth;
          mode = depth === 0 ? DONE : AFTER;
          if (members !== undefined && depth === 1) members.set(this.key, { start: this.valueStart, end: i });
          continue;
        }
        fail(i, container === OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
      }

      if (mode === DONE) fail(i, 'unexpected data after the JSON value');

      if (mode === KEY || mode === FIRST_KEY) {
        if (b !== QUOTE) fail(i, 'expected a member name in double quotes');
        this.keyStart = members !== undefined && depth === 1 ? i : -1;
        this.keyEscaped = false;
        this.inKey = true;
        mode = STRING;
        i++;
        continue;
      }

      // A value.
      if (members !== undefined && depth === 1) this.valueStart = i;
      if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (depth === MAX_DEPTH) fail(i, `nested deeper than ${MAX_DEPTH} levels`);
        stack[depth++] = b === OPEN_BRACE ? OBJECT : ARRAY;
        mode = b === OPEN_BRACE ? FIRST_KEY : FIRST_VALUE;
        i++;
        continue;
      }
      if (b === QUOTE) {
        this.inKey = false;
        mode = STRING;
        i++;
        continue;
      }
      if (b === MINUS || isDigit(b)) {
        if (b === MINUS) b = bytes[++i] ?? 0;
        if (b === ZERO) i++;
        else if (b >= 0x31 && b <= 0x39) while (i < n && isDigit(bytes[i]!)) i++;
        else fail(i, 'invalid number');
        if (bytes[i] === DOT) {
          i++;
          if (!(i < n && isDigit(bytes[i]!))) fail(i, 'invalid number: a digit must follow the point');
          while (i < n && isDigit(bytes[i]!)) i++;
        }
        b = bytes[i] ?? 0;
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
      } else {
        fail(i, 'expected a JSON value');
      }
      mode = depth === 0 ? DONE : AFTER;
      if (members !== undefined && depth === 1) members.set(this.key, { start: this.valueStart, end: i });
    }
  }

  private save(i: number, depth: number, mode: number, lowest: number): void {
    this.i = i;
    this.depth = depth;
    this.mode = mode;
    this.lowestDepth = lowest;
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
