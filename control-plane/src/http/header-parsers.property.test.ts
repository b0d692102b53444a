import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContentRange, receivedRangeHeader } from './content-range.js';
import { parseRange } from './byte-range.js';
import { HttpError } from './errors.js';

/**
 * Properties of the upload and download range headers: any text gives a range inside the file
 * or the documented error (400 for Content-Range; the whole file or 416 for Range), never
 * another exception, and well-formed headers mean exactly what they say.
 */
const runs = (n: number) => ({ numRuns: Number(process.env.FC_RUNS ?? n) });

/** Text around the header's grammar: digits, spaces, signs, separators, huge numbers. */
const bigNumber = fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String);
const headerish = fc.oneof(
  fc.string({ maxLength: 40 }),
  // The grammar's own shapes, with numbers of any size.
  fc.tuple(bigNumber, bigNumber, bigNumber).map(([a, b, c]) => `bytes ${a}-${b}/${c}`),
  bigNumber.map((total) => `bytes */${total}`),
  fc
    .array(
      fc.oneof(
        fc.constantFrom('bytes', 'bytes ', 'bytes=', '*', '-', '/', ' ', ',', '+', 'e', '.', '\t', '0x', 'BYTES'),
        fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.join('')),
);

describe('Content-Range (uploads)', () => {
  it('answers a range inside the file, a query, or a 400 for any text', () => {
    fc.assert(
      fc.property(headerish, (header) => {
        let parsed;
        try {
          parsed = parseContentRange(header);
        } catch (error) {
          expect(error).toBeInstanceOf(HttpError);
          expect((error as HttpError).status).toBe(400);
          return;
        }
        expect(Number.isSafeInteger(parsed.total)).toBe(true);
        if (parsed.kind === 'chunk') {
          expect(Number.isSafeInteger(parsed.start) && Number.isSafeInteger(parsed.end)).toBe(true);
          expect(0 <= parsed.start && parsed.start <= parsed.end && parsed.end < parsed.total).toBe(true);
        }
      }),
      runs(2000),
    );
  });

  it('refuses sizes past 2^53 in either form (found by the property above)', () => {
    expect(() => parseContentRange('bytes */99999999999999999999')).toThrow(/past 2\^53/);
    expect(() => parseContentRange('bytes 0-0/99999999999999999999')).toThrow(HttpError);
  });

  it('reads every well-formed chunk header as exactly its bytes', () => {
    const chunk = fc
      .tuple(fc.nat({ max: Number.MAX_SAFE_INTEGER - 1 }), fc.nat({ max: Number.MAX_SAFE_INTEGER - 1 }), fc.nat({ max: Number.MAX_SAFE_INTEGER - 1 }))
      .map((n) => n.sort((a, b) => a - b))
      .filter(([, end, total]) => end < total);
    fc.assert(
      fc.property(chunk, ([start, end, total]) => {
        expect(parseContentRange(`bytes ${start}-${end}/${total}`)).toEqual({ kind: 'chunk', start, end, total });
        expect(parseContentRange(`bytes */${total}`)).toEqual({ kind: 'query', total });
      }),
      runs(1000),
    );
  });

  it('reports a received prefix as a Range header that reads back as that prefix', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (received) => {
        const header = receivedRangeHeader(received).Range;
        if (received === 0) expect(header).toBeUndefined();
        else expect(parseRange(header, received)).toEqual({ kind: 'partial', start: 0, end: received - 1 });
      }),
      runs(500),
    );
  });
});

describe('Range (downloads)', () => {
  it('answers the whole file, a range inside it, or unsatisfiable, for any text and size', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          headerish,
          headerish.map((h) => `bytes=${h}`),
        ),
        fc.nat({ max: 2 ** 40 }),
        (header, size) => {
          const range = parseRange(header, size);
          if (range.kind === 'partial') {
            expect(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end)).toBe(true);
            expect(0 <= range.start && range.start <= range.end && range.end < size).toBe(true);
          }
        },
      ),
      runs(2000),
    );
  });

  it('serves exactly the bytes a well-formed range names, clipped to the file', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.nat({ max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), (a, b, size) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const range = parseRange(`bytes=${start}-${end}`, size);
        if (start >= size) expect(range).toEqual({ kind: 'unsatisfiable' });
        else expect(range).toEqual({ kind: 'partial', start, end: Math.min(end, size - 1) });
      }),
      runs(1000),
    );
  });
});
