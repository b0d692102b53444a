import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegCli, makeTestVideo, tempDir } from '../../test-support/lavfi-media.js';
import { probeCodecParameters, type CodecParameters } from './codec-parameters.js';
import { firstSliceType, scanGops, scanGopsInPlace, type GopMap } from './gop-scan.js';

/** GOP maps read from real files: keyframes, IDR pictures, leading pictures, the end. */

let work: { dir: string; remove: () => Promise<void> };
let closed: { file: string; params: CodecParameters };
let open: { file: string; params: CodecParameters };

beforeAll(async () => {
  work = await tempDir();
  const closedFile = await makeTestVideo(work.dir, 'closed', { durationS: 4, gop: 10 });
  const openFile = path.join(work.dir, 'open.mp4');
  await ffmpegCli([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=160x120:r=25:d=4',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-bf',
    '2',
    '-g',
    '10',
    '-keyint_min',
    '10',
    '-sc_threshold',
    '0',
    '-x264-params',
    'open-gop=1',
    '-force_key_frames',
    'expr:eq(mod(n,40),0)',
    '-forced-idr',
    '1',
    '-y',
    openFile,
  ]);
  closed = { file: closedFile, params: (await probeCodecParameters(closedFile, 0))! };
  open = { file: openFile, params: (await probeCodecParameters(openFile, 0))! };
});
afterAll(async () => work.remove());

describe('scanGops', () => {
  it('finds IDR keyframes in closed GOPs, only inside the windows read', async () => {
    const map = await scanGops(closed.file, 0, closed.params, [{ fromS: 0.9, toS: 2.1 }]);
    // The window starts at the keyframe before 0.9 s (frame 20) and stops near 2.1 s.
    expect(map.keyframes.map((k) => k.frame)).toEqual([20, 30, 40, 50]);
    expect(map.keyframes.every((k) => k.idr)).toBe(true);
    expect(map.keyframes.slice(0, 3).map((k) => k.runStartFrame)).toEqual([20, 30, 40]);
    expect(map.frameCount).toBeUndefined();
    expect(map.offGrid).toEqual([]);
    expect(map.reorderDepth).toBeGreaterThanOrEqual(1);
  });

  it('sees the end of the stream when a window reaches it', async () => {
    const map = await scanGops(closed.file, 0, closed.params, [
      { fromS: 0, toS: 0.5 },
      { fromS: 3.5, toS: 6 },
    ]);
    expect(map.frameCount).toBe(100);
    expect(map.keyframes.map((k) => k.frame)).toEqual([0, 10, 80, 90]);
  });

  it('tells open-GOP I pictures from IDR frames, and where their leading pictures start', async () => {
    const map = await scanGops(open.file, 0, open.params, [{ fromS: 0, toS: 5 }]);
    const idr = map.keyframes.filter((k) => k.idr).map((k) => k.frame);
    expect(idr).toEqual([0, 40, 80]);
    const openI = map.keyframes.filter((k) => !k.idr);
    expect(openI.length).toBeGreaterThan(3);
    // Leading pictures: decoded after the I picture, shown before it.
    expect(openI.some((k) => k.runStartFrame! < k.frame)).toBe(true);
    expect(map.keyframes.filter((k) => k.idr).every((k) => k.runStartFrame === k.frame)).toBe(true);
  });
});

describe('scanGopsInPlace', () => {
  /** What a plan reads from a map: each keyframe's IDR flag and run start, the end, the reordering. */
  const essentials = (map: GopMap) => ({
    keyframes: Object.fromEntries(map.keyframes.map((k) => [k.frame, { idr: k.idr, runStartFrame: k.runStartFrame }])),
    frameCount: map.frameCount,
    reorderDepth: map.reorderDepth,
    offGrid: map.offGrid,
  });

  it('maps GOPs as the ffmpeg scan does, reading every window in one run', async () => {
    for (const [source, windows] of [
      [closed, [{ fromS: 0.9, toS: 2.1 }]],
      [
        closed,
        [
          { fromS: 0, toS: 0.5 },
          { fromS: 1.7, toS: 2.2 },
          { fromS: 3.5, toS: 6 },
        ],
      ],
      [open, [{ fromS: 0, toS: 5 }]],
      [
        open,
        [
          { fromS: 0.3, toS: 1.1 },
          { fromS: 1.5, toS: 2.3 },
          { fromS: 3.1, toS: 3.9 },
        ],
      ],
    ] as const) {
      const byFfmpeg = essentials(await scanGops(source.file, 0, source.params, [...windows]));
      const inPlace = essentials(await scanGopsInPlace(source.file, 0, source.params, 4, [...windows]));
      // The in-place scan reads a few frames further: it may see a keyframe more at a window's end.
      for (const [frame, keyframe] of Object.entries(byFfmpeg.keyframes)) {
        expect(inPlace.keyframes[frame]?.idr).toBe(keyframe.idr);
        if (keyframe.runStartFrame !== undefined) expect(inPlace.keyframes[frame]?.runStartFrame).toBe(keyframe.runStartFrame);
      }
      expect({ ...inPlace, keyframes: undefined }).toEqual({ ...byFfmpeg, keyframes: undefined });
    }
  });

  it('tells an IDR slice from other slices after parameter sets and SEI', () => {
    const unit = (...nals: number[][]) => Buffer.concat(nals.map((n) => Buffer.concat([Buffer.from([0, 0, 0, n.length]), Buffer.from(n)])));
    expect(firstSliceType(unit([0x09, 0xf0], [0x67, 1, 2, 3], [0x68, 4], [0x06, 5, 6], [0x65, 0x88, 0x84]), 4)).toBe(5);
    expect(firstSliceType(unit([0x06, 5, 6], [0x41, 0x9a]), 4)).toBe(1);
    expect(firstSliceType(unit([0x67, 1, 2, 3]), 4)).toBeUndefined();
  });
});
