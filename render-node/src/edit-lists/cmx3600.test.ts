import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCmx3600 } from './cmx3600.js';
import { EditListError } from './edit-list-error.js';
import type { EditList } from './edit-list.js';

const samples = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata', 'otio-samples');
const sample = (name: string) => fs.readFileSync(path.join(samples, name), 'utf8');
const FPS24 = { num: 24, den: 1 };
const FPS25 = { num: 25, den: 1 };
const NTSC = { num: 30000, den: 1001 };

/** [track, event, start, end, sourceIn, sourceOut, speed] of every item, for hand-checked lists. */
function rows(list: EditList) {
  return list.tracks.flatMap((t) => t.items.map((i) => [t.name, i.event, i.start, i.end, i.sourceIn, i.sourceOut, i.speed]));
}

describe('CMX 3600 EDL: the OpenTimelineIO samples', () => {
  it('25fps.edl: four cuts at 25 fps, each from 01:00:00:00 of its source', () => {
    const list = parseCmx3600(sample('25fps.edl'), { rate: FPS25 });
    expect(list.title).toBe('SQ0002_A2');
    expect(list.dropFrame).toBe(false);
    expect(list.startFrame).toBe(0);
    // 01:00:00:00 is 90000 frames at 25; 00:00:06:11 is 161.
    expect(rows(list)).toEqual([
      ['V', '001', 0, 161, 90000, 90161, 1],
      ['V', '002', 161, 361, 90000, 90200, 1],
      ['V', '003', 361, 447, 90000, 90086, 1],
      ['V', '004', 447, 496, 90000, 90049, 1],
    ]);
    expect(list.tracks[0]!.items.map((i) => i.source)).toEqual(
      ['sq001_s001', 'sq001_s002', 'sq001_s003', 'sq001_s004'].map((clipName) => ({ kind: 'media', reel: 'SC00.JPG', base: 'timecode', clipName })),
    );
  });

  it('dissolve_test.edl: the outgoing clip runs on under a 10-frame dissolve', () => {
    const list = parseCmx3600(sample('dissolve_test.edl'), { rate: FPS24 });
    expect(list.startFrame).toBe(86400);
    // clip_A plays 9 frames, then 10 more under the dissolve (source 04:05 to 04:24).
    expect(rows(list)).toEqual([
      ['V', '001', 0, 19, 86501, 86520, 1],
      ['V', '002', 9, 19, 86600, 86610, 1],
      ['V', '003', 19, 20, 86610, 86611, 1],
    ]);
    const [a, b] = list.tracks[0]!.items;
    expect(a!.transitionIn).toBeUndefined();
    expect(b!.transitionIn).toEqual({ type: 'dissolve', frames: 10 });
    expect(a!.source).toMatchObject({ clipName: 'clip_A' });
    expect(b!.source).toMatchObject({ clipName: 'clip_B' });
  });

  it('speed_effects_small.edl: freeze frames (M2 000.0) and a 46.7 fps speed-up', () => {
    const list = parseCmx3600(sample('speed_effects_small.edl'), { rate: FPS24 });
    expect(rows(list)).toEqual([
      ['V', '001', 0, 126, 86445, 86571, 1],
      ['V', '002', 12240, 12257, 86661, 86662, 0],
      ['V', '003', 12257, 12258, 86660, 86661, 0],
      ['V', '004', 12258, 12276, 86660, 86678, 1],
      // 36 record frames at 46.7/24 play 70 source frames from the M2's entry, 01:00:06:00.
      ['V', '005', 16600, 16636, 86544, 86614, 1.9458],
    ]);
  });

  it('multi_audio.edl: AA and AUD 3 put the event on three audio channels', () => {
    const list = parseCmx3600(sample('multi_audio.edl'), { rate: FPS24 });
    expect(list.tracks.map((t) => [t.name, t.kind])).toEqual([
      ['A1', 'audio'],
      ['A2', 'audio'],
      ['A3', 'audio'],
    ]);
    for (const track of list.tracks) expect(rows({ ...list, tracks: [track] })).toEqual([[track.name, '001', 0, 81982, 0, 81982, 1]]);
  });

  it('avid_example.edl and premiere_example.edl: FROM CLIP paths and clip names of AX sources', () => {
    const avid = parseCmx3600(sample('avid_example.edl'), { rate: FPS24 });
    expect(avid.startFrame).toBe(86243);
    expect(rows(avid)).toEqual([
      ['V', '001', 0, 31, 86501, 86532, 1],
      ['V', '002', 31, 81, 86557, 86607, 1],
    ]);
    expect(avid.tracks[0]!.items[0]!.source).toEqual({
      kind: 'media',
      reel: 'ZZ100_50',
      base: 'timecode',
      clipName: 'take_1',
      fileName: 'ZZ100_501.take_1.0001.exr',
    });
    const premiere = parseCmx3600(sample('premiere_example.edl'), { rate: FPS24 });
    expect(rows(premiere)).toEqual(rows(avid));
    expect(premiere.tracks[0]!.items[1]!.source).toEqual({ kind: 'media', reel: 'AX', base: 'timecode', clipName: 'ZZ100_502A.take_2.0101.exr' });
  });
});

describe('CMX 3600 EDL: cases of our own', () => {
  it('counts drop-frame timecode at 29.97 (FCM: DROP FRAME and ";")', () => {
    const edl = [
      'TITLE: drop',
      'FCM: DROP FRAME',
      // One minute of record timecode, 00:59 to 01:00;02, is 1800 frames: 01:00;00 and ;01 do not exist.
      '001  TAPE1    V     C        00:09:59;28 00:10:59;28 01:00:00;00 01:01:00;02',
      '002  TAPE1    V     C        00:00:00;00 00:00:01;00 01:01:00;02 01:01:01;02',
    ].join('\n');
    const list = parseCmx3600(edl, { rate: NTSC });
    expect(list.dropFrame).toBe(true);
    expect(list.startFrame).toBe(107892); // 01:00:00;00 is 108000 labels less 108 dropped
    expect(rows(list)).toEqual([
      // 00:09:59;28 is frame 17980; ten minutes on (00:10:00;00 exists: every tenth minute keeps it) is 17982.
      ['V', '001', 0, 1800, 17980, 17980 + 1800, 1],
      ['V', '002', 1800, 1830, 0, 30, 1],
    ]);
  });

  it('takes ";" alone as drop-frame, and refuses labels drop-frame skips', () => {
    const list = parseCmx3600('001 T V C 00:00:00;00 00:00:02;00 00:00:00;00 00:00:02;00', { rate: NTSC });
    expect(list.dropFrame).toBe(true);
    expect(() => parseCmx3600('001 T V C 00:01:00;00 00:01:00;05 00:00:00;00 00:00:00;05', { rate: NTSC })).toThrow(/line 1: .*does not exist in drop-frame/);
    expect(() => parseCmx3600('FCM: DROP FRAME\n001 T V C 00:00:00:00 00:00:02:00 00:00:00:00 00:00:02:00', { rate: FPS25 })).toThrow(
      /line 1: .*29.97 and 59.94/,
    );
  });

  it('puts audio-only events on audio tracks only (A, A2, AA, B, AA/V)', () => {
    const edl = [
      '001  TAPE1    A     C        00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00',
      '002  TAPE1    AA    C        00:00:01:00 00:00:02:00 00:00:01:00 00:00:02:00',
      '003  TAPE1    A2    C        00:00:02:00 00:00:03:00 00:00:02:00 00:00:03:00',
      '004  TAPE1    B     C        00:00:03:00 00:00:04:00 00:00:03:00 00:00:04:00',
      '005  TAPE1    AA/V  C        00:00:04:00 00:00:05:00 00:00:04:00 00:00:05:00',
    ].join('\n');
    const list = parseCmx3600(edl, { rate: FPS25 });
    const byTrack = Object.fromEntries(list.tracks.map((t) => [t.name, t.items.map((i) => i.event)]));
    expect(byTrack).toEqual({ V: ['004', '005'], A1: ['001', '002', '004', '005'], A2: ['002', '003', '005'] });
  });

  it('reads a dissolve from black, a wipe, and BL and AX sources', () => {
    const edl = [
      '001  BL       V     C        00:00:00:00 00:00:00:00 01:00:00:00 01:00:00:00',
      '001  AX       V     D    025 00:00:10:00 00:00:12:00 01:00:00:00 01:00:02:00',
      '* FROM CLIP NAME:  BLACK',
      '* TO CLIP NAME:  interview.mov',
      '002  REEL2    V     W001 010 00:00:20:00 00:00:21:00 01:00:02:00 01:00:03:00',
      '003  BL       V     C        00:00:00:00 00:00:01:00 01:00:03:00 01:00:04:00',
    ].join('\n');
    const list = parseCmx3600(edl, { rate: FPS25 });
    const [black, interview, reel2, black2] = list.tracks[0]!.items;
    expect(list.tracks[0]!.items).toHaveLength(4);
    expect(black).toMatchObject({ event: '001', start: 0, end: 25, source: { kind: 'black' } });
    // Black runs on 25 frames under the dissolve; the AX clip starts with it.
    expect(interview).toMatchObject({ event: '001', start: 0, end: 50 + 10, sourceIn: 250, sourceOut: 310, transitionIn: { type: 'dissolve', frames: 25 } });
    expect(interview!.source).toEqual({ kind: 'media', reel: 'AX', base: 'timecode', clipName: 'interview.mov' });
    // A wipe without its outgoing line: the clip before runs on 10 frames under it.
    expect(reel2).toMatchObject({ event: '002', start: 50, end: 75, sourceIn: 500, sourceOut: 525, transitionIn: { type: 'wipe', frames: 10, wipeCode: 1 } });
    expect(black2).toMatchObject({ event: '003', start: 75, end: 100, source: { kind: 'black' } });
  });

  it('reads M2 at 50% and at reverse speed', () => {
    const edl = [
      '001  TAPE1    V     C        00:00:10:00 00:00:12:00 00:00:00:00 00:00:02:00',
      'M2   TAPE1       012.5                00:00:10:00',
      '002  TAPE1    V     C        00:00:20:00 00:00:21:00 00:00:02:00 00:00:03:00',
      'M2   TAPE1       -25.0                00:00:20:00',
    ].join('\n');
    const list = parseCmx3600(edl, { rate: FPS25 });
    // 50 record frames at half speed play 25 source frames from 10 s; one second backwards from 20 s plays 476..500.
    expect(rows(list)).toEqual([
      ['V', '001', 0, 50, 250, 275, 0.5],
      ['V', '002', 50, 75, 476, 501, -1],
    ]);
  });

  it('reads SOURCE FILE and LOC comments', () => {
    const edl = [
      'TITLE: comments',
      '001  A001C003 V     C        01:00:00:00 01:00:01:00 00:00:00:00 00:00:01:00',
      '* SOURCE FILE: A001C003_220101.MOV',
      '* LOC: 00:00:00:12 RED     look here',
    ].join('\n');
    const list = parseCmx3600(edl, { rate: FPS25 });
    expect(list.tracks[0]!.items[0]!.source).toEqual({ kind: 'media', reel: 'A001C003', base: 'timecode', fileName: 'A001C003_220101.MOV' });
    expect(list.markers).toEqual([{ frame: 12, color: 'RED', text: 'look here' }]);
  });

  it('refuses a malformed event with its line number', () => {
    const edl = 'TITLE: bad\n001  TAPE1  V  C  00:00:00:00 00:00:01:00 00:00:00:00\n';
    expect(() => parseCmx3600(edl, { rate: FPS25 })).toThrow(EditListError);
    expect(() => parseCmx3600(edl, { rate: FPS25 })).toThrow(/EDL line 2: an event is/);
    expect(() => parseCmx3600('TITLE: empty\n', { rate: FPS25 })).toThrow(/no events/);
    expect(() => parseCmx3600('001  T  XV  C  00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00', { rate: FPS25 })).toThrow(/"XV" is not a channel/);
  });
});
