import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegCli, tempDir } from '../test-support/lavfi-media.js';
import { readPacketIntervals } from './ffprobe.js';
import { readMp4PacketIntervals } from './mp4-packets.js';

/**
 * The packets read from an MP4's own index must be exactly those ffprobe lists, interval by
 * interval, on files laid out the ways encoders and muxers write them.
 */

let work: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => {
  await work.remove();
});

/** 6 s of 25 fps 160x90 H.264 with a tone, by these x264 parameters and output options. */
async function make(name: string, x264: string, output: string[] = []): Promise<string> {
  const file = path.join(work.dir, name);
  await ffmpegCli([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x90:rate=25:duration=6',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000:duration=6',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-x264-params',
    x264,
    '-c:a',
    'aac',
    ...output,
    '-y',
    file,
  ]);
  return file;
}

const INTERVALS = ['0%1.5', '0%6.5', '1.3%2.1,3.04%4.12', '2%2.04', '0.98%1.02,5.9%7', '0%0.5,0.4%1.2'];

describe('readMp4PacketIntervals', () => {
  it.each([
    ['B-frames, closed GOPs, index in front', 'keyint=25:min-keyint=25:bframes=3', ['-movflags', '+faststart']],
    ['B-frames, open GOPs, index at the end', 'keyint=30:min-keyint=10:bframes=2:open-gop=1', []],
    ['no B-frames, irregular keyframes', 'keyint=40:min-keyint=5:bframes=0:scenecut=40', []],
    ['B-frames in a MOV', 'keyint=25:bframes=3:b-pyramid=normal', ['-f', 'mov']],
    ['open GOPs with a B-pyramid (keyframes shown later than the delay)', 'keyint=30:min-keyint=10:bframes=3:b-pyramid=normal:open-gop=1', []],
  ])('lists what ffprobe lists: %s', async (_, x264, output) => {
    const file = await make(`${x264.replace(/[^a-z0-9]/gi, '_')}.${output.includes('mov') ? 'mov' : 'mp4'}`, x264, output);
    // Starts between each keyframe's decoding time as stored (before the edit's shift, which is
    // the first packet's negative decoding time) and its presentation time: where a seek by one
    // or the other lands on different keyframes.
    const all = await readPacketIntervals(file, 0, '0%100');
    const shift = -Math.min(0, all.packets[0]!.dts!);
    const between = all.packets
      .filter((p) => p.keyframe && p.pts! > p.dts! + shift)
      .map((p) => `${(((p.pts! + p.dts! + shift) / 2) * all.timeBase).toFixed(4)}%${((p.pts! + 4096) * all.timeBase).toFixed(4)}`);
    if (x264.includes('open-gop')) expect(between.length).toBeGreaterThan(0);
    for (const intervals of [...INTERVALS, ...between]) {
      const ours = await readMp4PacketIntervals(file, 0, intervals);
      expect(ours, intervals).toBeDefined();
      expect(ours, intervals).toEqual(await readPacketIntervals(file, 0, intervals));
    }
  });

  it('lists what ffprobe lists for a picture that starts after the sound (an empty edit first)', async () => {
    const picture = await make('late-picture.mp4', 'keyint=30:min-keyint=10:bframes=3:b-pyramid=normal:open-gop=1');
    const file = path.join(work.dir, 'late.mp4');
    await ffmpegCli(['-itsoffset', '0.1', '-i', picture, '-i', picture, '-map', '0:v', '-map', '1:a', '-c', 'copy', '-y', file]);
    const all = await readPacketIntervals(file, 0, '0%100');
    expect(all.packets[0]!.pts! * all.timeBase).toBeCloseTo(0.1, 3);
    // Starts every 20 ms across the first seconds, in one list as ffprobe reads them one by one.
    const sweep = Array.from({ length: 150 }, (_, i) => `${(i * 0.02).toFixed(2)}%${(i * 0.02 + 0.1).toFixed(2)}`).join(',');
    for (const intervals of [...INTERVALS, sweep]) {
      const ours = await readMp4PacketIntervals(file, 0, intervals);
      expect(ours, intervals).toBeDefined();
      expect(ours, intervals).toEqual(await readPacketIntervals(file, 0, intervals));
    }
  });

  it('leaves to ffprobe what it does not read like ffmpeg: fragmented files, other tracks, Matroska', async () => {
    const fragmented = await make('fragmented.mp4', 'keyint=25', ['-movflags', '+frag_keyframe+empty_moov']);
    expect(await readMp4PacketIntervals(fragmented, 0, '0%1')).toBeUndefined();
    const plain = await make('plain.mp4', 'keyint=25');
    expect(await readMp4PacketIntervals(plain, 1, '0%1')).toBeUndefined(); // the sound
    expect(await readMp4PacketIntervals(plain, 2, '0%1')).toBeUndefined(); // no such track
    const matroska = path.join(work.dir, 'same.mkv');
    await ffmpegCli(['-i', plain, '-c', 'copy', '-y', matroska]);
    expect(await readMp4PacketIntervals(matroska, 0, '0%1')).toBeUndefined();
    expect(await readMp4PacketIntervals(path.join(work.dir, 'missing.mp4'), 0, '0%1').catch(() => 'threw')).toBe('threw');
  });
});
