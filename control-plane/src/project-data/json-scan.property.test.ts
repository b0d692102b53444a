import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeBody, CHUNKED_FROM } from './body-analysis.js';
import { scanJson } from './json-scan.js';

/**
 * Properties of the JSON body scanner against JSON.parse, the reference: same verdict on any
 * text, member spans that hold exactly each member's value, and the same verdict again when a
 * large body is checked in remembered stretches (autosave) after a one-byte change.
 */
const runs = (n: number) => ({ numRuns: Number(process.env.FC_RUNS ?? n) });

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};
const bytesOf = (text: string) => Buffer.from(text, 'utf8');

/** JSON with whitespace of every legal kind between tokens. */
const spaced = fc
  .tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(undefined, 0, 1, 2, '\t', '\r\n '))
  .map(([value, indent]) => JSON.stringify(value, null, indent as string | number | undefined));

/** Small edits: cut, insert or replace a few characters, often JSON's own. */
const edits = fc.array(
  fc.tuple(
    fc.nat(),
    fc.nat(3),
    fc.oneof(
      fc.constantFrom('', '"', '\\', '{', '}', '[', ']', ',', ':', '-', '0', '.', 'e', ' ', 'true', 'nul', '\\u12', '\u0001'),
      fc.string({ maxLength: 3 }),
    ),
  ),
  {
    minLength: 1,
    maxLength: 3,
  },
);
const edited = (text: string, changes: Array<[number, number, string]>) =>
  changes.reduce((t, [at, cut, insert]) => {
    const i = t.length === 0 ? 0 : at % (t.length + 1);
    return t.slice(0, i) + insert + t.slice(i + cut);
  }, text);

describe('scanJson against JSON.parse', () => {
  it('accepts every JSON text, with spans holding exactly each top-level member', () => {
    fc.assert(
      fc.property(spaced, (text) => {
        const bytes = bytesOf(text);
        const scan = scanJson(bytes);
        expect(scan.ok).toBe(true);
        if (!scan.ok) return;
        const parsed = JSON.parse(text) as unknown;
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
          expect([...scan.members!.keys()].sort()).toEqual(Object.keys(parsed).sort());
          for (const [key, span] of scan.members!) {
            expect(JSON.parse(bytes.toString('utf8', span.start, span.end))).toEqual((parsed as Record<string, unknown>)[key]);
          }
        } else {
          expect(scan.members).toBeUndefined();
        }
      }),
      runs(1000),
    );
  });

  it('gives the same verdict as JSON.parse on edited JSON and on any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(spaced, edits).map(([t, e]) => edited(t, e)),
          fc.string({ unit: 'grapheme', maxLength: 40 }),
        ),
        (text) => {
          // The scanner skips a UTF-8 byte order mark, which JSON.parse does not; none is generated here.
          expect(scanJson(bytesOf(text)).ok).toBe(parses(text));
        },
      ),
      runs(3000),
    );
  });
});

describe('large bodies checked in remembered stretches', () => {
  /** A project-sized body (past CHUNKED_FROM) around a random value; built in the property so a failure prints its seed, not 70 kB. */
  const large = (value: unknown, seed: number) => {
    const clips = Array.from({ length: 1200 }, (_, i) => ({ id: `clip-${seed}-${i}`, start: i * 40, text: 'lorem ipsum "quoted" \\ é'.repeat(i % 3) }));
    return JSON.stringify({ name: `project ${seed}`, data: { clips, extra: value }, tail: [1, 2, 3] }, null, seed % 2);
  };

  it('refuses an edited body exactly when JSON.parse does, after its original was remembered', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.nat(50), edits, (value, seed, changes) => {
        const original = large(value, seed);
        expect(original.length).toBeGreaterThan(CHUNKED_FROM);
        expect(analyzeBody(bytesOf(original)).ok).toBe(true);
        const text = edited(original, changes);
        const verdict = analyzeBody(bytesOf(text));
        expect(verdict.ok, verdict.ok ? 'accepted' : verdict.message).toBe(parses(text));
        // Twice: the second time every stretch is remembered.
        expect(analyzeBody(bytesOf(text)).ok).toBe(verdict.ok);
      }),
      runs(150),
    );
  });
});
