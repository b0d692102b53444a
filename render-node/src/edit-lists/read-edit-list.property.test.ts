import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EditListError } from './edit-list-error.js';
import { readEditList } from './read-edit-list.js';

/**
 * Properties of the edit list readers (CMX 3600 EDL, OpenTimelineIO, FCP 7 XML): whatever an
 * uploaded project holds, reading answers an edit list or an EditListError naming the problem,
 * never another exception, and what it answers has finite, ordered frames.
 */
const runs = (n: number) => ({ numRuns: Number(process.env.FC_RUNS ?? n) });
const here = path.dirname(fileURLToPath(import.meta.url));
const sameCut = (name: string) => fs.readFileSync(path.join(here, 'testdata', 'same-cut', name), 'utf8');
const sample = (name: string) => fs.readFileSync(path.join(here, 'testdata', 'otio-samples', name), 'utf8');
const SEEDS: Array<[string, string]> = [
  ['cut.edl', sameCut('cut.edl')],
  ['cut.otio', sameCut('cut.otio')],
  ['cut.xml', sameCut('cut.xml')],
  ['dissolve.edl', sample('dissolve_test.edl')],
  ['speed.edl', sample('speed_effects_small.edl')],
  ['multi.edl', sample('multi_audio.edl')],
];
const RATES = [undefined, { num: 25, den: 1 }, { num: 30000, den: 1001 }, { num: 24, den: 1 }];

function readOrRefuse(name: string, text: string, rate: (typeof RATES)[number]) {
  try {
    return readEditList(name, text, rate);
  } catch (error) {
    if (error instanceof EditListError) return undefined;
    throw error;
  }
}

const edits = fc.array(
  fc.tuple(
    fc.nat(),
    fc.nat(12),
    fc.oneof(
      fc.constantFrom('', '\n', ' ', ':', ';', '*', '"', '{', '}', '[', ']', ',', '<', '>', '/', '-', '0', '9', '99', '1e308', 'null', '"OTIO_SCHEMA"'),
      fc.string({ maxLength: 6 }),
    ),
  ),
  { minLength: 1, maxLength: 5 },
);

describe('edit list readers', () => {
  it('read the samples they ship with', () => {
    for (const [name, text] of SEEDS) expect(readOrRefuse(name, text, { num: 25, den: 1 }), name).toBeDefined();
  });

  it('refuse the broken forms these properties found with an EditListError', () => {
    const xml = sameCut('cut.xml');
    // An unclosed <?xml ...?> passed the validator and made the parser throw; character references past U+10FFFF threw a RangeError.
    for (const text of [xml.slice(0, 10) + xml.slice(15), '<xmeml>&#x110000;</xmeml>', '<xmeml a="&#99999999;"></xmeml>']) {
      expect(() => readEditList('a.xml', text, undefined), text.slice(0, 40)).toThrow(EditListError);
    }
    // JSON numbers past the double range read as Infinity: as a rate it threw a TimecodeError, as a time it made an infinite frame.
    const otio = sameCut('cut.otio');
    for (const [from, to] of [
      ['"rate": 25 }', '"rate": 251e308 }'],
      ['"value": 90025', '"value": 900251e308'],
      ['"value": 0,', '"value": 1e308,'],
      ['"time_scalar": 0.5', '"time_scalar": 0.51e308'],
    ]) {
      expect(() => readEditList('a.otio', otio.replace(from, to), undefined), to).toThrow(EditListError);
    }
  });

  it('answer an edit list or an EditListError whatever is cut, doubled or changed in a real list', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), edits, fc.constantFrom(...RATES), ([name, text], changes, rate) => {
        let edited = text;
        for (const [at, cut, insert] of changes) {
          const i = at % (edited.length + 1);
          edited = edited.slice(0, i) + insert + edited.slice(i + cut);
        }
        const list = readOrRefuse(name, edited, rate);
        for (const track of list?.tracks ?? []) {
          for (const item of track.items) {
            for (const value of [item.start, item.end, item.sourceIn, item.sourceOut]) expect(Number.isFinite(value), `${name}: ${value}`).toBe(true);
            expect(item.end).toBeGreaterThanOrEqual(item.start);
          }
        }
      }),
      runs(800),
    );
  });

  it('answer an edit list or an EditListError for any text under any of their names', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('a.edl', 'a.otio', 'a.xml', 'a.txt'),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        fc.constantFrom(...RATES),
        (name, text, rate) => {
          readOrRefuse(name, text, rate);
        },
      ),
      runs(1000),
    );
  });
});
