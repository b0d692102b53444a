import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestVideo, ffmpegCli, tempDir } from '../test-support/lavfi-media.js';
import { makePcmRamp } from '../test-support/pcm-ramp.js';
import { decodeAudio, frameCount, framePsnrs, type ReferenceSegment } from '../test-support/media-checks.js';
import { renderXtl, timelines } from '../test-support/render-helpers.js';
import { fullRender } from './full-render.js';

/**
 * Every output frame is compared with the source frame the timeline names, taken by number with
 * ffmpeg's select. The source has a keyframe every 10 frames and B-frames, so cuts land at,
 * just after and between keyframes.
 */

// A correct frame after one lossy encode scores ~38 dB here; a neighbouring frame ~23 dB.
const SAME_FRAME_DB = 32;

let work: { dir: string; remove: () => Promise<void> };
let source: string;
beforeAll(async () => {
  work = await tempDir();
  source = await makeTestVideo(work.dir, 'gop10', { durationS: 4, fps: '25', gop: 10 });
});
afterAll(async () => work.remove());

/** time10ms for a frame number at 25 fps (frames are 4 hundredths apart). */
function at(frame: number): string {
  const cs = frame * 4;
  const s = Math.floor(cs / 100);
  return `00:00:${String(s).padStart(2, '0')}:${String(cs % 100).padStart(2, '0')}`;
}

describe('frame accuracy (accuracy="frame")', () => {
  it('cuts at, just after and between keyframes, one frame long and at the end of the file, each on its exact frame', async () => {
    const cuts: [number, number][] = [
      [20, 29], // starts on a keyframe
      [21, 30], // one frame after a keyframe, ends on one
      [15, 27], // mid-GOP to mid-GOP
      [33, 33], // a single frame
      [90, 99], // up to the last frame of the file
      [9, 9], // the frame before a keyframe
    ];
    const clips = cuts.map(([first, last]) => `<clip src="src" start="${at(first)}" stop="${at(last + 1)}" timeFormat="time10ms"/>`).join('\n');
    const xml = timelines(`<group><track video="1" audio="1" accuracy="frame">\n${clips}\n</track></group>`);
    // The full render's own accuracy (smart cutting, which would take this group, has its tests).
    const { outputs, plans } = await renderXtl(xml, { src: source }, { workDir: path.join(work.dir, 'cuts'), strategies: [fullRender] });
    expect(plans[0]!.strategy).toBe('full-render');
    const output = outputs[0]!.path;

    const expectedFrames = cuts.reduce((n, [a, b]) => n + b - a + 1, 0);
    expect(await frameCount(output)).toBe(expectedFrames);
    const reference: ReferenceSegment[] = cuts.map(([firstFrame, lastFrame]) => ({ file: source, firstFrame, lastFrame }));
    const psnrs = await framePsnrs(output, reference);
    expect(psnrs).toHaveLength(expectedFrames);
    const wrong = psnrs.map((db, i) => ({ i, db })).filter(({ db }) => db < SAME_FRAME_DB);
    expect(wrong).toEqual([]);

    // The comparison tells neighbours apart: off by one frame, (almost) every frame fails it.
    const shifted = await framePsnrs(output, reference, { shift: 1 });
    expect(shifted.filter((db) => db < SAME_FRAME_DB).length).toBeGreaterThan(expectedFrames - 8);
  });

  it('snaps a time between frames to the nearest frame boundary, never to a keyframe', async () => {
    // 0.61 s is 15.25 frames: the cut is at frame 15 (a keyframe is at 10); 1.07 s is 26.75: up to frame 26.
    const xml = timelines(`<group><track><clip src="src" start="6100000" stop="10700000" timeFormat="100ns_units"/></track></group>`);
    const { outputs } = await renderXtl(xml, { src: source }, { workDir: path.join(work.dir, 'snap') });
    expect(await frameCount(outputs[0]!.path)).toBe(12);
    const psnrs = await framePsnrs(outputs[0]!.path, [{ file: source, firstFrame: 15, lastFrame: 26 }]);
    expect(Math.min(...psnrs)).toBeGreaterThan(SAME_FRAME_DB);
  });

  it('counts frames from the picture’s own start when the sound starts first', async () => {
    // The picture starts 0.016 s (0.4 frame) into the file: frame n shows at 0.016 + n × 0.04 s.
    // 0.39 s is nearest frame 9 (0.376 s); on a grid from the file's start it would be frame 10.
    const late = path.join(work.dir, 'late.mov');
    await ffmpegCli([
      '-itsoffset',
      '0.016',
      '-i',
      source,
      '-f',
      'lavfi',
      '-i',
      'sine=d=4',
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'copy',
      '-c:a',
      'aac',
      '-y',
      late,
    ]);
    const xml = timelines(`<group><track><clip src="late" start="00:00:00:39" stop="00:00:00:79" timeFormat="time10ms"/></track></group>`);
    const { outputs } = await renderXtl(xml, { late }, { workDir: path.join(work.dir, 'late') });
    expect(await frameCount(outputs[0]!.path)).toBe(10);
    const psnrs = await framePsnrs(outputs[0]!.path, [{ file: source, firstFrame: 9, lastFrame: 18 }]);
    expect(Math.min(...psnrs)).toBeGreaterThan(SAME_FRAME_DB);
  });

  it('cuts the sound at the same instants, sample-accurately', async () => {
    // PCM sound whose every sample says the time it was made at: t/8.
    const ramp = await makePcmRamp(work.dir);
    const xml = timelines(
      `<group container="wav"><track>\n<clip src="ramp" start="${at(21)}" stop="${at(31)}" timeFormat="time10ms"/>\n<clip src="ramp" start="00:00:03:00" stop="00:00:03:20" timeFormat="time10ms"/>\n</track></group>`,
    );
    const { outputs } = await renderXtl(xml, { ramp }, { workDir: path.join(work.dir, 'ramp') });
    const samples = await decodeAudio(outputs[0]!.path);
    expect(samples.length).toBe(0.6 * 48000);
    const expectedAt = (k: number) => (k < 19200 ? 0.84 + k / 48000 : 3.0 + (k - 19200) / 48000) / 8;
    const tolerance = 2 / 32768;
    let worst = 0;
    for (let k = 0; k < samples.length; k++) worst = Math.max(worst, Math.abs(samples[k]! - expectedAt(k)));
    expect(worst).toBeLessThan(tolerance);
  });
});
