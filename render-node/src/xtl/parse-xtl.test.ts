import { describe, expect, it } from 'vitest';
import { parseXtl } from './parse-xtl.js';
import { timelineSources } from './model.js';
import { XtlError } from './xtl-error.js';

const S = 10_000_000; // 100 ns units per second

const editorApiExample = `<timelines version="2">
<timeline>
<group >
<track video="1" audio="1" accuracy="frame">
<clip src="media_file_id" start="00:00:01:00" stop="00:00:06:00" timeFormat="time10ms" />
<clip src="media_file_id" start="00:00:07:00" stop="00:00:12:00" timeFormat="time10ms" />
</track>
</group>
</timeline>
</timelines>`;

function xtl(trackBody: string, groupAttributes = '', moreTracks = ''): string {
  return `<timelines version="2">\n<timeline>\n<group${groupAttributes}>\n<track>\n${trackBody}\n</track>\n${moreTracks}</group>\n</timeline>\n</timelines>`;
}

function refusal(xml: string): XtlError {
  try {
    parseXtl(xml);
  } catch (error) {
    if (error instanceof XtlError) return error;
    throw error;
  }
  throw new Error('the document was accepted');
}

describe('parseXtl: the editor API form', () => {
  it('reads the project a document renders from <timelines projectId>, and none from the editor API form', () => {
    expect(parseXtl(editorApiExample).projectId).toBeUndefined();
    expect(parseXtl(editorApiExample.replace('<timelines version="2">', '<timelines version="2" projectId="p-1">')).projectId).toBe('p-1');
    expect(refusal(editorApiExample.replace('<timelines version="2">', '<timelines version="2" projectid="p-1">')).message).toMatch(/write projectId/);
  });

  it('reads the editor API example: start/stop are in and out points, clips follow one another', () => {
    const doc = parseXtl(editorApiExample);
    expect(doc.groups).toHaveLength(1);
    const [track] = doc.groups[0]!.tracks;
    expect(track).toMatchObject({ video: true, audio: true, text: false, accuracy: 'frame' });
    expect(track!.clips.map((c) => [c.timelineStartHns, c.timelineStopHns, c.sourceStartHns, c.sourceStopHns])).toEqual([
      [0, 5 * S, 1 * S, 6 * S],
      [5 * S, 10 * S, 7 * S, 12 * S],
    ]);
    expect(timelineSources(doc)).toEqual(['media_file_id']);
  });

  it('reads 100ns_units and hundredths of time10ms exactly', () => {
    const doc = parseXtl(
      xtl(
        `<clip src="a" start="12345678" stop="22345678" timeFormat="100ns_units"/>\n<clip src="b" start="00:01:02:03" stop="01:00:00:99" timeFormat="time10ms"/>`,
      ),
    );
    const [a, b] = doc.groups[0]!.tracks[0]!.clips;
    expect([a!.sourceStartHns, a!.sourceStopHns]).toEqual([12345678, 22345678]);
    expect(b!.sourceStartHns).toBe(62.03 * S);
    expect(b!.sourceStopHns).toBe(3600.99 * S);
    expect(b!.timelineStartHns).toBe(10_000_000);
  });

  it('gives one group per output across timelines, with their attributes', () => {
    const doc = parseXtl(`<timelines version="2">
<timeline><group output="first.webm" width="1280" height="720" framerate="29.97" samplerate="44100" container="webm" quality="high" vcodec="vp9" acodec="opus" background="#102030"><track><clip src="a" start="0" stop="1" timeFormat="100ns_units"/></track></group></timeline>
<timeline><group><track video="0"><clip src="b" start="0" stop="1" timeFormat="100ns_units"/></track></group></timeline>
</timelines>`);
    expect(doc.groups.map((g) => g.index)).toEqual([0, 1]);
    expect(doc.groups[0]).toMatchObject({
      output: 'first.webm',
      width: 1280,
      height: 720,
      frameRate: { num: 30000, den: 1001 },
      sampleRate: 44100,
      container: 'webm',
      quality: 'high',
      videoCodec: 'vp9',
      audioCodec: 'opus',
      background: '#102030',
    });
    expect(doc.groups[1]).toMatchObject({ quality: 'medium', background: 'black', container: undefined });
    expect(doc.groups[1]!.tracks[0]).toMatchObject({ video: false, audio: true });
  });

  it('decodes the predefined entities in attribute values', () => {
    const doc = parseXtl(xtl(`<clip src="https://cdn.example/v.mp4?a=1&amp;b=&#50;" start="0" stop="10" timeFormat="100ns_units"/>`));
    expect(doc.groups[0]!.tracks[0]!.clips[0]!.src).toBe('https://cdn.example/v.mp4?a=1&b=2');
  });
});

describe('parseXtl: extensions', () => {
  it('places clips with mstart/mstop: start/stop on the timeline, unequal lengths change speed, gaps allowed', () => {
    const doc = parseXtl(
      xtl(`<clip src="a" start="00:00:00:00" stop="00:00:02:00" mstart="00:00:10:00" mstop="00:00:14:00" timeFormat="time10ms"/>
<clip src="b" start="00:00:03:00" stop="00:00:04:00" mstart="00:00:01:00" timeFormat="time10ms"/>
<clip src="c" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/>`),
    );
    const [a, b, c] = doc.groups[0]!.tracks[0]!.clips;
    expect(a).toMatchObject({ positioned: true, timelineStartHns: 0, timelineStopHns: 2 * S, sourceStartHns: 10 * S, sourceStopHns: 14 * S });
    expect(b).toMatchObject({ timelineStartHns: 3 * S, timelineStopHns: 4 * S, sourceStartHns: 1 * S, sourceStopHns: 2 * S });
    // A clip in the editor API form after a placed one follows it.
    expect(c).toMatchObject({ positioned: false, timelineStartHns: 4 * S, timelineStopHns: 5 * S });
  });

  it('overlaps the clips on either side of a transition by its duration', () => {
    const doc = parseXtl(
      xtl(`<clip src="a" start="00:00:00:00" stop="00:00:04:00" timeFormat="time10ms"/>
<transition type="fadeblack" duration="00:00:01:00"/>
<clip src="b" start="00:00:00:00" stop="00:00:03:00" timeFormat="time10ms"/>`),
    );
    const [a, b] = doc.groups[0]!.tracks[0]!.clips;
    expect(a!.transitionToNext).toMatchObject({ type: 'fadeblack', durationHns: 1 * S });
    expect([b!.timelineStartHns, b!.timelineStopHns]).toEqual([3 * S, 6 * S]);
  });

  it('reads params (track params apply to every clip, clip params win) and effects', () => {
    const doc = parseXtl(
      xtl(`<param name="opacity" value="0.5"/><param name="volume" value="-6dB"/>
<clip src="a" start="00:00:00:00" stop="00:00:04:00" timeFormat="time10ms">
  <param name="x" value="10"/><param name="y" value="50%"/><param name="width" value="160px"/>
  <param name="opacity" value="0.75"/><param name="fadein" value="00:00:00:50"/><param name="audiofadeout" value="1000000" timeFormat="100ns_units"/>
  <effect type="grayscale"/>
  <effect type="text"><param name="text" value="Hello &amp; welcome"/><param name="size" value="24"/></effect>
</clip>
<clip src="b" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/>`),
    );
    const [a, b] = doc.groups[0]!.tracks[0]!.clips;
    expect(a!.params).toMatchObject({
      x: { value: 10, unit: 'px' },
      y: { value: 50, unit: '%' },
      width: { value: 160, unit: 'px' },
      opacity: 0.75,
      videoFadeInHns: 0.5 * S,
      audioFadeInHns: 0.5 * S,
      audioFadeOutHns: 0.1 * S,
      videoFadeOutHns: 0,
    });
    expect(a!.params.volume).toBeCloseTo(0.501, 3);
    expect(a!.effects).toEqual([
      { type: 'grayscale', line: 9 },
      { type: 'text', line: 10, text: 'Hello & welcome', sizePx: 24, x: { value: 5, unit: '%' }, y: { value: 85, unit: '%' }, color: 'white', box: false },
    ]);
    expect(b!.params).toMatchObject({ opacity: 0.5, fit: 'contain' });
  });
});

describe('parseXtl: refusals name the element, attribute and line', () => {
  it.each([
    ['a DOCTYPE', `<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<timelines version="2"/>`, { line: 2, element: undefined }, /DOCTYPE/],
    ['an unknown entity', xtl(`<clip src="&xxe;" start="0" stop="1" timeFormat="100ns_units"/>`), { element: 'clip', attribute: 'src', line: 5 }, /&xxe;/],
    ['XML that is not well-formed', xtl(`<clip src="a" start="0" stop="1" timeFormat="100ns_units">`), { line: 6 }, /well-formed/],
    ['an upper-case element', xtl(`<Clip src="a" start="0" stop="1" timeFormat="100ns_units"/>`), { element: 'Clip', line: 5 }, /lower-case: write <clip>/],
    [
      'a wrongly cased attribute',
      xtl(`<clip src="a" start="0" stop="1" timeformat="100ns_units"/>`),
      { element: 'clip', attribute: 'timeformat', line: 5 },
      /write timeFormat/,
    ],
    [
      'an unknown attribute',
      xtl(`<clip src="a" start="0" stop="1" speed="2" timeFormat="100ns_units"/>`),
      { element: 'clip', attribute: 'speed', line: 5 },
      /unknown attribute/,
    ],
    [
      'a bad time10ms time',
      xtl(`<clip src="a" start="00:00:01" stop="00:00:02:00" timeFormat="time10ms"/>`),
      { element: 'clip', attribute: 'start', line: 5 },
      /hh:mm:ss:cc/,
    ],
    ['a missing timeFormat', xtl(`<clip src="a" start="0" stop="1"/>`), { element: 'clip', attribute: 'timeFormat', line: 5 }, /required/],
    ['stop before start', xtl(`<clip src="a" start="20" stop="10" timeFormat="100ns_units"/>`), { element: 'clip', attribute: 'stop', line: 5 }, /after start/],
    ['a missing src', xtl(`<clip start="0" stop="1" timeFormat="100ns_units"/>`), { element: 'clip', attribute: 'src', line: 5 }, /required/],
    ['another version', editorApiExample.replace('version="2"', 'version="1"'), { element: 'timelines', attribute: 'version', line: 1 }, /version="2"/],
    [
      'a transition first',
      xtl(`<transition duration="10"/>\n<clip src="a" start="0" stop="100" timeFormat="100ns_units"/>`),
      { element: 'transition', line: 5 },
      /after a clip/,
    ],
    [
      'a transition longer than a clip',
      xtl(
        `<clip src="a" start="0" stop="100" timeFormat="100ns_units"/>\n<transition duration="150"/>\n<clip src="b" start="0" stop="1000" timeFormat="100ns_units"/>`,
      ),
      { element: 'transition', attribute: 'duration', line: 6 },
      /longer than what the clip before it has left/,
    ],
    [
      'overlapping placed clips',
      xtl(
        `<clip src="a" start="0" stop="100" mstart="0" timeFormat="100ns_units"/>\n<clip src="b" start="50" stop="150" mstart="0" timeFormat="100ns_units"/>`,
      ),
      { element: 'clip', attribute: 'start', line: 6 },
      /before the previous clip/,
    ],
    [
      'an unknown param',
      xtl(`<clip src="a" start="0" stop="1" timeFormat="100ns_units"><param name="zoom" value="2"/></clip>`),
      { element: 'param', attribute: 'name', line: 5 },
      /unknown parameter "zoom"/,
    ],
    [
      'an opacity out of range',
      xtl(`<clip src="a" start="0" stop="1" timeFormat="100ns_units"><param name="opacity" value="1.5"/></clip>`),
      { element: 'param', attribute: 'value', line: 5 },
      /from 0 to 1/,
    ],
    [
      'an odd width',
      xtl(`<clip src="a" start="0" stop="1" timeFormat="100ns_units"/>`, ' width="641"'),
      { element: 'group', attribute: 'width', line: 3 },
      /odd/,
    ],
    [
      'an unknown container',
      xtl(`<clip src="a" start="0" stop="1" timeFormat="100ns_units"/>`, ' container="avi"'),
      { element: 'group', attribute: 'container', line: 3 },
      /mp4, mov, webm/,
    ],
    [
      'a track with nothing',
      xtl(
        `<clip src="a" start="0" stop="1" timeFormat="100ns_units"/>`,
        '',
        '<track video="0" audio="0"><clip src="a" start="0" stop="1" timeFormat="100ns_units"/></track>\n',
      ),
      { element: 'track', attribute: 'video', line: 7 },
      /contribute nothing/,
    ],
    ['an empty track', xtl(''), { element: 'track', line: 4 }, /at least one <clip>/],
    ['text inside a clip', xtl(`<clip src="a" start="0" stop="1" timeFormat="100ns_units">hello</clip>`), { element: 'clip', line: 5 }, /text is not allowed/],
    [
      'an effect with an unknown param',
      xtl(`<clip src="a" start="0" stop="1" timeFormat="100ns_units"><effect type="blur"><param name="size" value="3"/></effect></clip>`),
      { element: 'param', attribute: 'name', line: 5 },
      /blur effect has no parameter "size"/,
    ],
  ])('refuses %s', (_name, xml, where, reason) => {
    const error = refusal(xml);
    expect({ element: error.element, attribute: error.attribute, line: error.line }).toMatchObject(where);
    expect(error.message).toMatch(reason);
  });

  it('points at the line an attribute is written on in a start tag that spans lines', () => {
    const error = refusal(xtl(`<clip src="a"\n  start="0"\n  stop="x" timeFormat="100ns_units"/>`));
    expect(error).toMatchObject({ element: 'clip', attribute: 'stop', line: 7 });
    expect(error.message).toBe('XTL error at <clip>, attribute "stop", line 7: "x" is not a 100ns_units time (a whole number of 100 ns units)');
  });

  it('refuses an empty document', () => {
    expect(refusal('   ').message).toMatch(/empty/);
  });
});
