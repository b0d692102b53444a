import { describe, expect, it } from 'vitest';
import { parseFcp7Xml } from './fcp7-xml.js';
import { parseOtio } from './otio.js';

const time = (value: number, rate = 24) => ({ OTIO_SCHEMA: 'RationalTime.1', value, rate });
const range = (start: number, duration: number, rate = 24) => ({ OTIO_SCHEMA: 'TimeRange.1', start_time: time(start, rate), duration: time(duration, rate) });

describe('OpenTimelineIO', () => {
  it('reads 23.976 as 24000/1001, freeze frames, gaps, disabled clips and unknown items', () => {
    const otio = {
      OTIO_SCHEMA: 'Timeline.1',
      name: 'otio',
      tracks: {
        OTIO_SCHEMA: 'Stack.1',
        children: [
          {
            OTIO_SCHEMA: 'Track.1',
            kind: 'Video',
            children: [
              {
                OTIO_SCHEMA: 'Clip.1',
                name: 'a',
                source_range: range(100, 24, 23.976),
                media_reference: { OTIO_SCHEMA: 'ExternalReference.1', target_url: 'file:///x/A%20take.mov' },
              },
              { OTIO_SCHEMA: 'Gap.1', source_range: range(0, 12, 23.976) },
              { OTIO_SCHEMA: 'Clip.1', name: 'held', source_range: range(50, 12, 23.976), effects: [{ OTIO_SCHEMA: 'FreezeFrame.1', time_scalar: 0 }] },
              { OTIO_SCHEMA: 'Clip.1', name: 'off', enabled: false, source_range: range(0, 6, 23.976) },
              { OTIO_SCHEMA: 'Stack.1', name: 'nested', source_range: range(0, 6, 23.976), children: [] },
            ],
          },
        ],
      },
    };
    const list = parseOtio(JSON.stringify(otio));
    expect(list.rate).toEqual({ num: 24000, den: 1001 });
    expect(list.tracks[0]!.items.map((i) => [i.event, i.start, i.end, i.source.kind, i.sourceIn, i.sourceOut, i.speed])).toEqual([
      ['a', 0, 24, 'media', 100, 124, 1],
      ['V1 item 2', 24, 36, 'black', 0, 12, 1],
      ['held', 36, 48, 'media', 50, 51, 0],
      ['off', 48, 54, 'black', 0, 6, 1],
      ['nested', 54, 60, 'black', 0, 6, 1],
    ]);
    expect(list.tracks[0]!.items[0]!.source).toEqual({ kind: 'media', base: 'timecode', fileName: 'A take.mov', clipName: 'a' });
    expect(list.notes).toEqual(['off: disabled; it is left out as black', 'nested: a Stack.1 inside a track is not supported; it is left out as black']);
  });

  it('refuses what is not a timeline', () => {
    expect(() => parseOtio('{"OTIO_SCHEMA": "Clip.1"}')).toThrow('an .otio file must hold a Timeline, not a Clip.1');
    expect(() => parseOtio('not json')).toThrow(/^the .otio file is not JSON/);
  });
});

describe('Final Cut Pro 7 XML', () => {
  const xmeml = (items: string, rate = '<rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>') => `<?xml version="1.0"?>
<!DOCTYPE xmeml>
<xmeml version="5"><sequence><name>fcp</name>${rate}
<timecode>${rate}<string>01:00:00;00</string><frame>107892</frame><displayformat>DF</displayformat></timecode>
<media><video><track>${items}</track></video></media></sequence></xmeml>`;

  it('reads 29.97 drop-frame sequences, reverse speed and slugs', () => {
    const list = parseFcp7Xml(
      xmeml(`
      <clipitem id="c1"><name>back</name><start>0</start><end>30</end><in>60</in><out>120</out>
        <file id="f1"><name>clip.mov</name><timecode><reel><name>R1</name></reel></timecode></file>
        <filter><effect><effectid>timeremap</effectid>
          <parameter><parameterid>speed</parameterid><value>200</value></parameter>
          <parameter><parameterid>reverse</parameterid><value>TRUE</value></parameter>
        </effect></filter></clipitem>
      <generatoritem id="g1"><name>Slug</name><start>30</start><end>45</end><effect><effectid>slug</effectid></effect></generatoritem>
      <clipitem id="c2"><name>again</name><start>45</start><end>60</end><in>0</in><out>15</out><file id="f1"/></clipitem>`),
    );
    expect(list).toMatchObject({ rate: { num: 30000, den: 1001 }, dropFrame: true, startFrame: 107892, title: 'fcp' });
    expect(list.tracks[0]!.items.map((i) => [i.event, i.start, i.end, i.source.kind, i.sourceIn, i.sourceOut, i.speed])).toEqual([
      // Double speed backwards: 30 frames play source 60..119 from 119 down.
      ['back', 0, 30, 'media', 60, 120, -2],
      ['Slug', 30, 45, 'black', 0, 15, 1],
      ['again', 45, 60, 'media', 0, 15, 1],
    ]);
    expect(list.tracks[0]!.items[2]!.source).toEqual({ kind: 'media', base: 'media', fileName: 'clip.mov', clipName: 'again', reel: 'R1' });
  });

  it('refuses entity declarations and what is not xmeml', () => {
    expect(() => parseFcp7Xml('<!DOCTYPE x [<!ENTITY a "b">]><xmeml/>')).toThrow(/DOCTYPE and ENTITY declarations are not allowed/);
    expect(() => parseFcp7Xml('<timelines version="2"/>')).toThrow('a Final Cut Pro XML file has an <xmeml> root, not <timelines>');
  });
});
