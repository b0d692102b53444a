import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseXtl } from '../xtl/index.js';
import { buildTimeline, type ImportedMedia } from './build-timeline.js';
import { parseCmx3600 } from './cmx3600.js';
import { readEditList } from './read-edit-list.js';
import type { Timeline } from './timeline.js';
import { timelineToXtl } from './timeline-to-xtl.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sameCut = (name: string) => fs.readFileSync(path.join(here, 'testdata', 'same-cut', name), 'utf8');
const FPS25 = { num: 25, den: 1 };

const media: ImportedMedia[] = [
  { id: 'alphaAAAAAAAAAAAAAAAAA', name: 'alpha.mov', startTimecode: '01:00:00:00', durationHns: 8e7, hasVideo: true, hasAudio: true, still: false },
  { id: 'betaBBBBBBBBBBBBBBBBBB', name: 'beta.mov', durationHns: 8e7, hasVideo: true, hasAudio: true, still: false },
];

/** What renders, whatever format it came from: each track's clips by kind and order, black left out. */
function clipsOf(timeline: Timeline) {
  const index = { video: 0, audio: 0 };
  return timeline.tracks.map((track) => ({
    track: `${track.kind} ${(index[track.kind] += 1)}`,
    clips: track.items
      .filter((i) => i.type !== 'black')
      .map((i) => (i.type === 'clip' ? { start: i.start, end: i.end, media: i.media, in: i.in, out: i.out, speed: i.speed, transitionIn: i.transitionIn } : i)),
  }));
}

const withoutComments = (xml: string) => xml.replace(/<!--.*?-->/g, '');

describe('the same cut from an EDL, OpenTimelineIO and Final Cut Pro 7 XML', () => {
  const built = {
    edl: buildTimeline(readEditList('cut.edl', sameCut('cut.edl'), FPS25), media, { name: 'same cut', file: 'cut.edl' }),
    otio: buildTimeline(readEditList('cut.otio', sameCut('cut.otio'), undefined), media, { name: 'same cut', file: 'cut.otio' }),
    xml: buildTimeline(readEditList('cut.xml', sameCut('cut.xml'), undefined), media, { name: 'same cut', file: 'cut.xml' }),
  };

  it('gives the hand-checked timeline from the EDL', () => {
    const { timeline, problems } = built.edl;
    expect(problems).toEqual([]);
    expect(timeline).toMatchObject({
      format: 'cutroom-timeline',
      version: 1,
      name: 'same cut',
      fps: '25',
      dropFrame: false,
      startTimecode: '00:00:00:00',
      duration: 150,
    });
    const [alpha, beta] = media.map((m) => m.id);
    expect(clipsOf(timeline)).toEqual([
      {
        track: 'video 1',
        clips: [
          // 01:00:01:00 of alpha, whose own timecode starts at 01:00:00:00, is its frame 25.
          { start: 0, end: 25, media: alpha, in: 25, out: 50, speed: 1, transitionIn: undefined },
          // beta runs on 10 frames under the dissolve into alpha.
          { start: 25, end: 60, media: beta, in: 50, out: 85, speed: 1, transitionIn: undefined },
          { start: 50, end: 100, media: alpha, in: 100, out: 150, speed: 1, transitionIn: { type: 'dissolve', frames: 10 } },
          // Half speed: 50 timeline frames play 25 source frames.
          { start: 100, end: 150, media: alpha, in: 0, out: 25, speed: 0.5, transitionIn: undefined },
        ],
      },
      {
        track: 'audio 1',
        clips: [
          { start: 0, end: 25, media: alpha, in: 25, out: 50, speed: 1, transitionIn: undefined },
          { start: 50, end: 100, media: beta, in: 0, out: 50, speed: 1, transitionIn: undefined },
        ],
      },
    ]);
  });

  it('gives the same clips from OpenTimelineIO and from FCP 7 XML', () => {
    expect(built.otio.problems).toEqual([]);
    expect(built.xml.problems).toEqual([]);
    expect(clipsOf(built.otio.timeline)).toEqual(clipsOf(built.edl.timeline));
    expect(clipsOf(built.xml.timeline)).toEqual(clipsOf(built.edl.timeline));
    expect(built.otio.timeline.fps).toBe('25');
    expect(built.xml.timeline.fps).toBe('25');
  });

  it('renders to the same XTL from each, which the XTL parser accepts', () => {
    const xtl = Object.fromEntries(Object.entries(built).map(([format, b]) => [format, timelineToXtl(b.timeline)]));
    expect(withoutComments(xtl.otio!.xml)).toBe(withoutComments(xtl.edl!.xml));
    expect(withoutComments(xtl.xml!.xml)).toBe(withoutComments(xtl.edl!.xml));
    const doc = parseXtl(xtl.edl!.xml);
    const [video, audio] = doc.groups[0]!.tracks;
    expect(doc.groups[0]!.frameRate).toEqual({ num: 25, den: 1 });
    expect(video).toMatchObject({ video: true, audio: false });
    expect(audio).toMatchObject({ video: false, audio: true });
    const at = (frames: number) => frames * 400_000;
    expect(video!.clips.map((c) => [c.timelineStartHns, c.timelineStopHns, c.sourceStartHns, c.sourceStopHns])).toEqual([
      [at(0), at(25), at(25), at(50)],
      [at(25), at(60), at(50), at(85)],
      [at(50), at(100), at(100), at(150)],
      [at(100), at(150), at(0), at(25)],
    ]);
    expect(video!.clips[1]!.transitionToNext).toMatchObject({ type: 'crossfade', durationHns: at(10) });
    expect(audio!.clips.map((c) => [c.timelineStartHns, c.src])).toEqual([
      [at(0), media[0]!.id],
      [at(50), media[1]!.id],
    ]);
  });
});

describe('building the timeline', () => {
  const edl = (...events: string[]) => parseCmx3600(events.join('\n'), { rate: FPS25 });
  const build = (list: ReturnType<typeof edl>, files: ImportedMedia[] = media) => buildTimeline(list, files, { name: 'p', file: 'p.edl' });

  it('matches media by SOURCE FILE, then clip name (exact, then without extension), then reel, ignoring case', () => {
    const files: ImportedMedia[] = ['A001.MOV', 'take_2.mxf', 'tape3.mp4', 'wrong.mov'].map((name, i) => ({
      id: `media${i}XXXXXXXXXXXXXXXXX`,
      name,
      durationHns: 60e7,
      hasVideo: true,
      hasAudio: true,
      still: false,
    }));
    const { timeline, problems } = build(
      edl(
        '001  WRONG    V     C        00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00',
        '* SOURCE FILE: a001.mov',
        '002  WRONG    V     C        00:00:00:00 00:00:01:00 00:00:01:00 00:00:02:00',
        '* FROM CLIP NAME: TAKE_2',
        '003  TAPE3    V     C        00:00:00:00 00:00:01:00 00:00:02:00 00:00:03:00',
        '004  TAPE9    V     C        00:00:00:00 00:00:01:00 00:00:03:00 00:00:04:00',
        '* FROM CLIP NAME: lost.mov',
      ),
      files,
    );
    const items = timeline.tracks[0]!.items;
    expect(items.map((i) => (i.type === 'clip' ? i.mediaName : i.type))).toEqual(['A001.MOV', 'take_2.mxf', 'tape3.mp4', 'gap']);
    expect(items[3]).toMatchObject({
      type: 'gap',
      event: '004',
      start: 75,
      end: 100,
      reason: 'event 004 (V): no media file matches clip name "lost.mov", reel "TAPE9"',
    });
    expect(problems).toEqual(['event 004 (V): no media file matches clip name "lost.mov", reel "TAPE9"']);
  });

  it('maps source timecode through the file’s start timecode, and reports ranges outside the file', () => {
    const { timeline, problems } = build(
      edl(
        '001  ALPHA    V     C        01:00:07:00 01:00:08:00 00:00:00:00 00:00:01:00',
        '002  ALPHA    V     C        01:00:07:10 01:00:08:10 00:00:01:00 00:00:02:00',
        '003  ALPHA    V     C        00:59:59:10 01:00:00:10 00:00:02:00 00:00:03:00',
      ),
    );
    expect(timeline.tracks[0]!.items[0]).toMatchObject({ type: 'clip', in: 175, out: 200 });
    expect(timeline.tracks[0]!.items.slice(1).map((i) => i.type)).toEqual(['gap', 'gap']);
    expect(problems).toEqual([
      'event 002 (V): source 01:00:07:10-01:00:08:10 falls outside alpha.mov (01:00:00:00-01:00:08:00)',
      'event 003 (V): source 00:59:59:10-01:00:00:10 falls outside alpha.mov (01:00:00:00-01:00:08:00)',
    ]);
  });

  it('reports picture asked of a sound file, and sound of a silent one', () => {
    const files: ImportedMedia[] = [
      { id: 'musicMMMMMMMMMMMMMMMMM', name: 'music.wav', durationHns: 60e7, hasVideo: false, hasAudio: true, still: false },
      { id: 'mutedMMMMMMMMMMMMMMMMM', name: 'muted.mp4', durationHns: 60e7, hasVideo: true, hasAudio: false, still: false },
    ];
    const { problems } = build(
      edl(
        '001  MUSIC    V     C        00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00',
        '002  MUTED    A     C        00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00',
      ),
      files,
    );
    expect(problems).toEqual(['event 001 (V): music.wav has no picture', 'event 002 (A1): muted.mp4 has no sound']);
  });

  it('reports what cannot render, and leaves it out of the XTL', () => {
    const { timeline, problems } = build(
      edl(
        '001  ALPHA    V     C        01:00:01:00 01:00:02:00 00:00:00:00 00:00:01:00',
        'M2   ALPHA       -25.0                01:00:02:00',
        '002  ALPHA    V     C        01:00:03:00 01:00:03:01 00:00:01:00 00:00:02:00',
        'M2   ALPHA       000.0                01:00:03:00',
        '003  ALPHA    V     C        01:00:04:00 01:00:05:00 00:00:02:00 00:00:03:00',
      ),
    );
    expect(timeline.tracks[0]!.items.map((i) => i.type === 'clip' && [i.in, i.out, i.speed])).toEqual([
      [26, 51, -1],
      [75, 76, 0],
      [100, 125, 1],
    ]);
    expect(problems).toEqual([
      'event 001 (V): reverse speed (-1x) cannot be rendered; it is a gap in the render',
      'event 002 (V): a freeze frame cannot be rendered; it is a gap in the render',
    ]);
    const doc = parseXtl(timelineToXtl(timeline).xml);
    expect(doc.groups[0]!.tracks[0]!.clips.map((c) => c.timelineStartHns)).toEqual([2 * 1e7]);
  });
});

describe('the XTL of a timeline', () => {
  it('fades in from black, fades out into black, and plays a stereo pair (A1, A2) once', () => {
    const list = parseCmx3600(
      [
        '001  BL       V     C        00:00:00:00 00:00:00:00 00:00:00:00 00:00:00:00',
        '001  ALPHA    AA/V  D    010 01:00:00:00 01:00:02:00 00:00:00:00 00:00:02:00',
        '002  ALPHA    V     C        01:00:02:00 01:00:02:00 00:00:02:00 00:00:02:00',
        '002  BL       V     D    005 00:00:00:00 00:00:01:00 00:00:02:00 00:00:03:00',
      ].join('\n'),
      { rate: FPS25 },
    );
    const { timeline, problems } = buildTimeline(list, media, { name: 'fades', file: 'fades.edl' });
    expect(problems).toEqual([]);
    const doc = parseXtl(timelineToXtl(timeline).xml);
    const [video, audio] = doc.groups[0]!.tracks;
    expect(doc.groups[0]!.tracks).toHaveLength(2);
    // The clip fades in over the 10-frame dissolve from black and out over the 5 into black, which it runs on under.
    expect(video!.clips).toHaveLength(1);
    expect(video!.clips[0]).toMatchObject({ timelineStartHns: 0, timelineStopHns: 55 * 400_000 });
    expect(video!.clips[0]!.params).toMatchObject({ videoFadeInHns: 10 * 400_000, videoFadeOutHns: 5 * 400_000 });
    expect(audio!.clips).toHaveLength(1);
    expect(audio!.clips[0]!.params).toMatchObject({ audioFadeInHns: 10 * 400_000 });
  });

  it('keeps 29.97 fps exact: frames become 100 ns times that round back to the same frames', () => {
    const list = parseCmx3600('001  ALPHA    V     C        01:00:00;00 01:00:10;00 00:00:00;00 00:00:10;00', { rate: { num: 30000, den: 1001 } });
    const ntscMedia = [{ ...media[0]!, startTimecode: '01:00:00;00', durationHns: 20e7 }];
    const { timeline } = buildTimeline(list, ntscMedia, { name: 'ntsc', file: 'ntsc.edl' });
    expect(timeline).toMatchObject({ fps: '30000/1001', dropFrame: true, duration: 300 });
    const clip = parseXtl(timelineToXtl(timeline).xml).groups[0]!.tracks[0]!.clips[0]!;
    expect(clip.timelineStopHns).toBe(Math.round((300 * 1001 * 1e7) / 30000));
    expect(Math.round((clip.timelineStopHns * 30000) / (1001 * 1e7))).toBe(300);
  });
});
