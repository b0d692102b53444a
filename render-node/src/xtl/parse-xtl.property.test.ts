import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseXtl } from './parse-xtl.js';
import { parseXtlTime } from './time-format.js';
import { XtlError } from './xtl-error.js';

/**
 * Properties of the XTL parser: whatever arrives in `xtl_task`, it answers a document or an
 * XtlError (a 400 naming the place), never another exception, and what it accepts is sane.
 * Runs are bounded so `make test` stays quick; FC_RUNS raises them for a longer hunt.
 */
const runs = (n: number) => ({ numRuns: Number(process.env.FC_RUNS ?? n) });

/** Parses, and turns an XtlError into undefined; any other exception fails the property. */
function parseOrRefuse(xml: string) {
  try {
    return parseXtl(xml);
  } catch (error) {
    if (error instanceof XtlError) {
      expect(error.message).toMatch(/^XTL error/);
      return undefined;
    }
    throw error;
  }
}

const ELEMENTS = ['timelines', 'timeline', 'group', 'track', 'clip', 'effect', 'transition', 'param', 'text', 'box'];
const ATTRIBUTES = [
  'version',
  'src',
  'start',
  'stop',
  'mstart',
  'mstop',
  'timeFormat',
  'video',
  'audio',
  'text',
  'accuracy',
  'output',
  'framerate',
  'width',
  'height',
  'x',
  'y',
  'fit',
  'opacity',
  'volume',
  'fadein',
  'fadeout',
  'type',
  'duration',
  'name',
  'value',
  'background',
  'color',
  'videofadein',
  'audiofadeout',
  'container',
  'samplerate',
  'quality',
  'vcodec',
  'acodec',
];
const VALUES = fc.oneof(
  fc.constantFrom(
    '2',
    '1',
    '0',
    '',
    'frame',
    'gop',
    'time10ms',
    '100ns_units',
    'mp4',
    'webm',
    'contain',
    'cover',
    'fade',
    'grayscale',
    'text',
    'black',
    '#ff0000',
    '29.97',
    '30000/1001',
    '-1',
    '1e309',
    'NaN',
    '&amp;',
    '&lt;x&gt;',
  ),
  fc
    .tuple(fc.nat(999), fc.nat(99), fc.nat(99), fc.nat(99))
    .map(([h, m, s, c]) => `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}:${String(c).padStart(2, '0')}`),
  fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
  fc.double().map(String),
  fc.string({ maxLength: 12 }).map((s) => s.replace(/[<&"]/g, '')),
);

interface Node {
  name: string;
  attributes: Array<[string, string]>;
  children: Node[];
}
const nodeAt = (depth: number): fc.Arbitrary<Node> =>
  fc.record({
    name: fc.constantFrom(...ELEMENTS),
    attributes: fc.uniqueArray(fc.tuple(fc.constantFrom(...ATTRIBUTES), VALUES), { maxLength: 6, selector: ([name]) => name }),
    children: depth === 0 ? fc.constant([]) : fc.array(nodeAt(depth - 1), { maxLength: 3 }),
  });
const node = nodeAt(3);

function serialize(n: Node): string {
  const attributes = n.attributes.map(([k, v]) => ` ${k}="${v}"`).join('');
  return n.children.length === 0 ? `<${n.name}${attributes}/>` : `<${n.name}${attributes}>\n${n.children.map(serialize).join('\n')}\n</${n.name}>`;
}

/** A value that is usually right for its place and sometimes anything at all. */
const mostly = (right: fc.Arbitrary<string>) => fc.oneof({ weight: 30, arbitrary: right }, { weight: 1, arbitrary: VALUES });
const attrs = (pairs: Record<string, fc.Arbitrary<string>>) =>
  fc.subarray(Object.keys(pairs)).chain((names) => fc.tuple(...names.map((name) => mostly(pairs[name]!).map((v): [string, string] => [name, v]))));
const hns = fc.integer({ min: 0, max: 600 * 10_000_000 });
const paramOf = (names: string[], values: string[]) =>
  fc.tuple(fc.constantFrom(...names), mostly(fc.constantFrom(...values))).map(([name, value]): Node => ({
    name: 'param',
    attributes: [
      ['name', name],
      ['value', value],
    ],
    children: [],
  }));
const clipParam = paramOf(['x', 'y', 'width', 'height', 'opacity', 'volume', 'fit'], ['0', '1', '0.5', '30%', '-12dB', '20']);
const effect = fc.oneof(
  fc.constantFrom('grayscale', 'hflip', 'vflip').map((type): Node => ({ name: 'effect', attributes: [['type', type]], children: [] })),
  fc
    .array(paramOf(['saturation', 'brightness', 'contrast'], ['1.3', '0.5', '1']), { maxLength: 2 })
    .map((children): Node => ({ name: 'effect', attributes: [['type', 'color']], children })),
  fc
    .tuple(mostly(fc.constantFrom('Paris, 1968', '', '&amp;')), fc.array(paramOf(['box', 'size', 'color'], ['1', '24', 'white']), { maxLength: 2 }))
    .map(([text, rest]): Node => ({
      name: 'effect',
      attributes: [['type', 'text']],
      children: [
        {
          name: 'param',
          attributes: [
            ['name', 'text'],
            ['value', text],
          ],
          children: [],
        },
        ...rest,
      ],
    })),
);
const clip = fc
  .tuple(
    hns,
    fc.integer({ min: 1, max: 100_000_000 }),
    fc.boolean(),
    hns,
    fc.constantFrom('a', 'b', 'c'),
    fc.array(fc.oneof(clipParam, effect), { maxLength: 3 }),
  )
  .map(([start, length, placed, mstart, src, children]): Node => ({
    name: 'clip',
    attributes: [
      ['src', src],
      ['start', String(start)],
      ['stop', String(start + length)],
      ['timeFormat', '100ns_units'],
      ...(placed ? ([['mstart', String(mstart)]] as Array<[string, string]>) : []),
    ],
    children,
  }));
const transition = fc
  .tuple(mostly(fc.constantFrom('crossfade', 'fadeblack', 'wipeleft', 'circleopen')), mostly(fc.constantFrom('00:00:00:50', '00:00:01:00')))
  .map(([type, duration]): Node => ({
    name: 'transition',
    attributes: [
      ['type', type],
      ['duration', duration],
      ['timeFormat', 'time10ms'],
    ],
    children: [],
  }));
/** Clips, with a transition now and then between two of them. */
const trackBody = fc
  .array(fc.tuple(clip, fc.option(transition, { freq: 4 })), { minLength: 1, maxLength: 4 })
  .map((pairs) => pairs.flatMap(([c, t], i) => (i > 0 && t ? [t, c] : [c])));
const track = fc
  .tuple(
    fc.constantFrom<Array<[string, string]>>(
      [],
      [['video', '1']],
      [['audio', '0']],
      [
        ['video', '0'],
        ['audio', '1'],
      ],
      [['accuracy', 'gop']],
      [
        ['accuracy', 'frame'],
        ['text', '0'],
      ],
    ),
    trackBody,
  )
  .map(([attributes, children]): Node => ({ name: 'track', attributes, children }));
const group = fc
  .tuple(
    attrs({
      output: fc.constantFrom('out.mp4', 'a.webm', 'b.mp3', 'c'),
      container: fc.constantFrom('mp4', 'webm', 'wav', 'mov'),
      width: fc.constantFrom('640', '1280'),
      height: fc.constantFrom('360', '720'),
      framerate: fc.constantFrom('25', '29.97', '30000/1001'),
      samplerate: fc.constantFrom('48000', '44100'),
      quality: fc.constantFrom('low', 'high', 'lossless'),
      vcodec: fc.constantFrom('h264', 'vp9', 'hevc'),
      acodec: fc.constantFrom('aac', 'opus', 'pcm'),
      background: fc.constantFrom('black', '#101010'),
    }),
    fc.array(track, { minLength: 1, maxLength: 3 }),
  )
  .map(([attributes, children]): Node => ({ name: 'group', attributes, children }));

/** Documents shaped like XTL, mostly right and sometimes wrong in one place or another. */
const xtlLike = fc
  .array(group, { minLength: 1, maxLength: 2 })
  .map((groups) => `<timelines version="2">\n<timeline>\n${groups.map(serialize).join('\n')}\n</timeline>\n</timelines>`);

describe('parseXtl properties', () => {
  it('answers a document or an XtlError for any text at all', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => void parseOrRefuse(text)),
      runs(500),
    );
  });

  it('answers a document or an XtlError for any XML made of its own elements and attributes', () => {
    fc.assert(
      fc.property(fc.oneof(xtlLike, node.map(serialize)), (xml) => {
        const doc = parseOrRefuse(xml);
        if (!doc) return;
        // What is accepted is sane: finite, ordered times and at least one output.
        expect(doc.groups.length).toBeGreaterThan(0);
        for (const group of doc.groups) {
          for (const track of group.tracks) {
            for (const clip of track.clips) {
              for (const value of [clip.timelineStartHns, clip.timelineStopHns]) expect(Number.isSafeInteger(value)).toBe(true);
              expect(clip.timelineStopHns).toBeGreaterThanOrEqual(clip.timelineStartHns);
            }
          }
        }
      }),
      runs(400),
    );
  });

  it('answers a document or an XtlError whatever is cut, doubled or changed in a valid document', () => {
    const valid = `<?xml version="1.0" encoding="UTF-8"?>\n<timelines version="2">\n<timeline>\n<group output="out.mp4">\n<track video="1" audio="1" accuracy="frame">\n<clip src="a" start="00:00:01:00" stop="00:00:06:00" timeFormat="time10ms" />\n<clip src="b" start="0" stop="20000000" timeFormat="100ns_units">\n<param name="volume" value="0.5"/>\n</clip>\n</track>\n</group>\n</timeline>\n</timelines>`;
    expect(parseOrRefuse(valid)).toBeDefined();
    const edit = fc.tuple(fc.nat(valid.length), fc.nat(20), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let text = valid;
        for (const [at, cut, insert] of edits) text = text.slice(0, at) + insert + text.slice(at + cut);
        parseOrRefuse(text);
      }),
      runs(1000),
    );
  });

  it('refuses the broken forms found by these properties with an XtlError', () => {
    // The XML validator passed an unclosed <?xml ...?> that the parser then threw on: a 500.
    const broken =
      '<?xml vers1.0" encoding="UTF-8"?>\n<timelines version="2"><timeline><group><track><clip src="a" start="0" stop="1" timeFormat="100ns_units"/></track></group></timeline></timelines>';
    expect(() => parseXtl(broken)).toThrow(XtlError);
  });

  it('reads every hh:mm:ss:cc time as the 100 ns units it names, and refuses minutes or seconds past 59', () => {
    fc.assert(
      fc.property(fc.nat(999), fc.nat(99), fc.nat(99), fc.nat(99), (h, m, s, c) => {
        const text = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}:${String(c).padStart(2, '0')}`;
        const hns = parseXtlTime(text, 'time10ms');
        if (m > 59 || s > 59) expect(hns).toBeUndefined();
        else expect(hns).toBe(((h * 3600 + m * 60 + s) * 100 + c) * 100_000);
      }),
      runs(500),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        const hns = parseXtlTime(text, '100ns_units');
        if (hns !== undefined) expect(Number.isSafeInteger(hns) && hns >= 0 && String(hns) === text.replace(/^0+(?=\d)/, '')).toBe(true);
      }),
      runs(500),
    );
  });
});
