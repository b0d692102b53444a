import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegCli, makeTestVideo, tempDir } from '../../test-support/lavfi-media.js';
import { makePcmRamp } from '../../test-support/pcm-ramp.js';
import { decodeAudio, frameCount, framePsnrs, streamsOf, type ReferenceSegment } from '../../test-support/media-checks.js';
import { renderXtl, timelines } from '../../test-support/render-helpers.js';
import { decodeErrors, timestampFaults, videoPacketTimes } from '../../test-support/stream-checks.js';
import type { GroupPlan } from '../plan.js';

/**
 * Smart cutting checked the way a viewer would: every output frame against the source frame the
 * timeline names (taken by number with ffmpeg's select), copied frames bit-exact, re-encoded
 * ones visually transparent, a decode with no complaint, timestamps one frame apart, and the
 * sound continuous across every join. Sources are 320x240 at 25 fps with a keyframe every 10
 * frames and B-frames.
 */

/** Re-encoded frames must be indistinguishable from the source. */
const TRANSPARENT_DB = 45;

let work: { dir: string; remove: () => Promise<void> };
const files: Record<string, string> = {};
let count = 0;
const outDir = () => path.join(work.dir, `out-${count++}`);

/** time10ms of a frame number at 25 fps (frames are 4 hundredths apart). */
function at(frame: number): string {
  const cs = frame * 4;
  const s = Math.floor(cs / 100);
  return `00:00:${String(s).padStart(2, '0')}:${String(cs % 100).padStart(2, '0')}`;
}

function clipsXml(cuts: [string, number, number][]): string {
  return cuts.map(([src, first, last]) => `<clip src="${src}" start="${at(first)}" stop="${at(last + 1)}" timeFormat="time10ms"/>`).join('\n');
}

const x264 = (extra: string[]) => [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '14',
  '-pix_fmt',
  'yuv420p',
  '-bf',
  '2',
  '-g',
  '10',
  '-keyint_min',
  '10',
  '-sc_threshold',
  '0',
  ...extra,
];
const numbered = "drawtext=text='%{frame_num}':x=8:y=8:fontsize=40:fontcolor=white:box=1:boxcolor=black";

async function encodeSource(name: string, picture: string, video: string[], container = 'mp4'): Promise<string> {
  const file = path.join(work.dir, `${name}.${container}`);
  await ffmpegCli([
    '-f',
    'lavfi',
    '-i',
    `${picture}=s=320x240:r=25:d=4`,
    '-f',
    'lavfi',
    '-i',
    'sine=f=440:r=48000:d=4',
    '-vf',
    numbered,
    ...video,
    '-c:a',
    'aac',
    '-ac',
    '2',
    '-y',
    file,
  ]);
  return file;
}

beforeAll(async () => {
  work = await tempDir();
  const [closed, other, open, hevc, main, hevcOpen] = await Promise.all([
    makeTestVideo(work.dir, 'closed', { durationS: 4, gop: 10 }),
    // Same codec parameters, another picture and another time base (1/90000, not 1/12800).
    encodeSource('other', 'testsrc', x264(['-video_track_timescale', '90000'])),
    // Open GOPs (I pictures whose leading B-frames refer to the GOP before), an IDR every 40 frames.
    encodeSource('open', 'testsrc2', x264(['-x264-params', 'open-gop=1', '-force_key_frames', 'expr:eq(mod(n,40),0)', '-forced-idr', '1'])),
    // Closed HEVC GOPs whose IDR pictures have two leading (RADL) pictures each.
    encodeSource('hevc', 'testsrc2', [
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-crf',
      '14',
      '-pix_fmt',
      'yuv420p',
      '-tag:v',
      'hvc1',
      '-x265-params',
      'log-level=error:keyint=10:min-keyint=10:open-gop=0:scenecut=0:bframes=2:radl=2',
    ]),
    encodeSource('main', 'testsrc2', x264(['-profile:v', 'main'])),
    // x265's default open GOPs: CRA pictures with leading (RASL) pictures, an IDR only at 0.
    encodeSource('hevcOpen', 'testsrc2', [
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-crf',
      '14',
      '-pix_fmt',
      'yuv420p',
      '-tag:v',
      'hvc1',
      '-x265-params',
      'log-level=error:keyint=10:min-keyint=10:open-gop=1:scenecut=0:bframes=2',
    ]),
  ]);
  Object.assign(files, { closed, other, open, hevc, main, hevcOpen });
});
afterAll(async () => work.remove());

interface Checked {
  psnrs: number[];
  copied: number;
  plan: GroupPlan;
}

/** Renders the cuts and checks what every output must satisfy; returns the per-frame PSNRs. */
async function renderAndCheck(cuts: [string, number, number][], group = '<group>'): Promise<Checked & { output: string; log: string[] }> {
  const xml = timelines(`${group}<track>\n${clipsXml(cuts)}\n</track></group>`);
  const { outputs, plans, log } = await renderXtl(xml, files, { workDir: outDir() });
  const output = outputs[0]!.path;
  const plan = plans[0]!;
  const expectedFrames = cuts.reduce((n, [, a, b]) => n + b - a + 1, 0);
  expect(await frameCount(output)).toBe(expectedFrames);
  expect(await decodeErrors(output)).toBe('');
  expect(timestampFaults(await videoPacketTimes(output), 25)).toEqual([]);
  const reference: ReferenceSegment[] = cuts.map(([src, firstFrame, lastFrame]) => ({ file: files[src]!, firstFrame, lastFrame }));
  const psnrs = await framePsnrs(output, reference);
  expect(psnrs).toHaveLength(expectedFrames);
  const copied = copiedRuns(plan).reduce((n, [first, last]) => n + last - first + 1, 0);
  return { psnrs, copied, plan, output, log: log.map((l) => l.message) };
}

/** The runs of frames the plan copies (first and last frame), as its copy steps name them. */
function copiedRuns(plan: GroupPlan): Array<[number, number]> {
  return plan.steps.flatMap((s) =>
    s.kind === 'ffmpeg' && s.description.startsWith('copy ')
      ? [...s.description.matchAll(/frames (\d+)-(\d+) of/g)].map((m): [number, number] => [Number(m[1]), Number(m[2])])
      : [],
  );
}

/** Frames not bit-exact must be transparent, and the exact ones are those copied. */
function expectSmart({ psnrs, copied }: Checked): void {
  const reEncoded = psnrs.filter((db) => db !== Infinity);
  expect(Math.min(...reEncoded)).toBeGreaterThanOrEqual(TRANSPARENT_DB);
  expect(psnrs.length - reEncoded.length).toBeGreaterThanOrEqual(copied);
  expect(copied).toBeGreaterThan(0);
}

describe('smart cutting, H.264 with closed GOPs and B-frames', () => {
  it('copies whole GOPs bit for bit and re-encodes only the partial ones: every frame where the timeline says', async () => {
    const cuts: [string, number, number][] = [
      ['closed', 20, 29], // exactly one GOP: copied whole
      ['closed', 21, 30], // one frame after a keyframe, ends on one
      ['closed', 15, 27], // mid-GOP to mid-GOP
      ['other', 5, 34], // another source with the same parameters
      ['closed', 33, 33], // a single frame
      ['closed', 39, 70], // one frame before a keyframe, then whole GOPs
      ['closed', 9, 9], // the frame before a keyframe
      ['closed', 90, 99], // up to the last frame of the file
    ];
    const checked = await renderAndCheck(cuts);
    expect(checked.plan.strategy).toBe('smart-cut');
    expectSmart(checked);
    // Runs of whole GOPs: 20-29, 10-29 of "other", 40-69 and 90-99, and on into the GOPs at the
    // ends of "other" 5-34 and "closed" 39-70 up to their last anchor picture inside the clip
    // (frame 70 at least, an I picture; where in 30-34 depends on x264's B-frame placement).
    expect(checked.copied).toBeGreaterThanOrEqual(10 + 30 + 20 + 10 + 2);
    expect(checked.copied).toBeLessThanOrEqual(10 + 30 + 20 + 10 + 1 + 5);
    expect(checked.log.find((l) => l.startsWith('group 0:'))).toMatch(/^group 0: smart-cut \(smart: \d+% of frames copied/);

    // The comparison tells neighbouring frames apart: off by one, (almost) every frame fails it.
    const reference = cuts.map(([src, firstFrame, lastFrame]) => ({ file: files[src]!, firstFrame, lastFrame }));
    const shifted = await framePsnrs(checked.output, reference, { shift: 1 });
    expect(shifted.filter((db) => db < 32).length).toBeGreaterThan(shifted.length - 10);
    const [video] = await streamsOf(checked.output);
    expect(video).toMatchObject({ codec_name: 'h264', width: 320, height: 240, r_frame_rate: '25/1' });
  });

  it('takes the frame nearest a time between frames, as the full render does', async () => {
    // 0.61 s is frame 15.25: the cut is at frame 15; 2.07 s is 51.75: up to frame 51.
    const xml = timelines(`<group><track><clip src="closed" start="6100000" stop="20700000" timeFormat="100ns_units"/></track></group>`);
    const { outputs, plans } = await renderXtl(xml, files, { workDir: outDir() });
    expect(plans[0]!.strategy).toBe('smart-cut');
    const psnrs = await framePsnrs(outputs[0]!.path, [{ file: files.closed!, firstFrame: 15, lastFrame: 51 }]);
    expect(psnrs).toHaveLength(37);
    expect(Math.min(...psnrs)).toBeGreaterThanOrEqual(TRANSPARENT_DB);
  });
});

describe('smart cutting, open GOPs', () => {
  it('starts copies only on IDR frames and never shows a leading picture twice', async () => {
    const cuts: [string, number, number][] = [
      ['open', 35, 99], // IDR at 40 and 80, open I pictures between
      ['open', 12, 45], // open GOPs only before the IDR at 40
      ['open', 78, 81], // across an IDR
    ];
    const checked = await renderAndCheck(cuts);
    expect(checked.plan.strategy).toBe('smart-cut');
    expectSmart(checked);
    const starts = copiedRuns(checked.plan).map(([first]) => first);
    expect(starts.every((s) => s % 40 === 0)).toBe(true);
  });
});

describe('smart cutting, HEVC', () => {
  it('cuts HEVC with libx265 pieces, leaves out leading pictures, and keeps the hvc1 tag', async () => {
    const checked = await renderAndCheck([
      ['hevc', 3, 47],
      ['hevc', 61, 61],
      ['hevc', 70, 99],
    ]);
    expect(checked.plan.strategy).toBe('smart-cut');
    expectSmart(checked);
    expect(checked.plan.reason).toMatch(/libx265/);
    // Copies start on IDR pictures and stop before the next one's leading pictures.
    const copies = copiedRuns(checked.plan).map(([first, last]) => `${first}-${last}`);
    expect(copies).toEqual(['10-47', '70-99']);
    const { stdout } = await import('node:child_process').then((cp) =>
      import('node:util').then((u) =>
        u.promisify(cp.execFile)('ffprobe', [
          '-v',
          'error',
          '-select_streams',
          'v:0',
          '-show_entries',
          'stream=codec_name,codec_tag_string,profile',
          '-of',
          'csv=p=0',
          checked.output,
        ]),
      ),
    );
    expect(stdout.trim()).toBe('hevc,Main,hvc1');
  });

  it('copies HEVC open GOPs from the IDR frame only, stopping before a CRA picture’s leading pictures', async () => {
    const checked = await renderAndCheck([
      ['hevcOpen', 0, 55],
      ['hevcOpen', 23, 71],
    ]);
    expect(checked.plan.strategy).toBe('smart-cut');
    expectSmart(checked);
    const copies = copiedRuns(checked.plan).map(([first]) => first);
    expect(copies).toEqual([0]);
  });
});

describe('smart cutting, HEVC open GOPs at 1080p', () => {
  it('keeps every frame where the timeline says, copying only from the IDR frame', async () => {
    // Two seconds of x265's default open GOPs at 1080p: CRA pictures every 12 frames with
    // leading (RASL) pictures, an IDR only at 0.
    const file = path.join(work.dir, 'hevcOpen1080.mp4');
    await ffmpegCli([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=1920x1080:r=25:d=2',
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:r=48000:d=2',
      '-vf',
      numbered,
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-crf',
      '16',
      '-pix_fmt',
      'yuv420p',
      '-tag:v',
      'hvc1',
      '-x265-params',
      'log-level=error:keyint=12:min-keyint=12:open-gop=1:scenecut=0:bframes=2',
      '-c:a',
      'aac',
      '-ac',
      '2',
      '-y',
      file,
    ]);
    files.hevcOpen1080 = file;
    const checked = await renderAndCheck([
      ['hevcOpen1080', 0, 29],
      ['hevcOpen1080', 17, 41],
      ['hevcOpen1080', 5, 5],
    ]);
    expect(checked.plan.strategy).toBe('smart-cut');
    expectSmart(checked);
    const copies = copiedRuns(checked.plan).map(([first]) => first);
    expect(copies).toEqual([0]);
    const [video] = await streamsOf(checked.output);
    expect(video).toMatchObject({ codec_name: 'hevc', width: 1920, height: 1080, r_frame_rate: '25/1' });
  });
});

describe('smart cutting, sound', () => {
  it('joins the sound sample-exactly: nothing lost, repeated or shifted at any join', async () => {
    // PCM sound whose every sample says the time it was made at: t/8.
    const ramp = await makePcmRamp(work.dir);
    files.ramp = ramp;
    const cuts: [string, number, number][] = [
      ['ramp', 21, 44],
      ['ramp', 75, 88],
      ['ramp', 3, 3],
      ['ramp', 50, 99],
    ];
    const { output, plan } = await renderAndCheck(cuts, '<group container="mov" acodec="pcm">');
    expect(plan.strategy).toBe('smart-cut');
    const samples = await decodeAudio(output);
    const perFrame = 48000 / 25;
    const expected: number[] = [];
    for (const [, first, last] of cuts) for (let k = first * perFrame; k < (last + 1) * perFrame; k++) expected.push(k / 48000 / 8);
    expect(samples.length).toBe(expected.length);
    let worst = 0;
    for (let k = 0; k < samples.length; k++) worst = Math.max(worst, Math.abs(samples[k]! - expected[k]!));
    expect(worst).toBeLessThan(2 / 32768);
  });

  it('keeps AAC sound continuous over a long programme: no silence, click or drift at the joins', async () => {
    // Twenty clips, each cut at a different phase of the tone.
    const cuts: [string, number, number][] = Array.from({ length: 20 }, (_, i) => ['closed', (i * 7) % 60, ((i * 7) % 60) + 11 + (i % 5)]);
    const { output, plan } = await renderAndCheck(cuts);
    expect(plan.strategy).toBe('smart-cut');
    const out = await decodeAudio(output);
    const source = await decodeAudio(files.closed!);
    const perFrame = 48000 / 25;
    const expected: number[] = [];
    for (const [, first, last] of cuts) for (let k = first * perFrame; k < (last + 1) * perFrame; k++) expected.push(source[k]!);
    expect(out.length).toBe(expected.length);
    // In every 10 ms, the output is the source's sound for that instant, up to coding noise.
    const worstError = (slip: number) => {
      const window = 480;
      let worst = 0;
      for (let start = slip; start + window <= out.length; start += window) {
        let error = 0;
        let signal = 0;
        for (let k = start; k < start + window; k++) {
          error += (out[k]! - expected[k - slip]!) ** 2;
          signal += expected[k - slip]! ** 2;
        }
        worst = Math.max(worst, Math.sqrt(error / signal));
      }
      return worst;
    };
    expect(worstError(0)).toBeLessThan(0.1);
    // The measure sees a slip of half a millisecond (and so any gap, repeat or drift).
    expect(worstError(24)).toBeGreaterThan(0.3);
  });
});

describe('smart cutting falls back to the full render', () => {
  it('when the sources differ in profile, and says so', async () => {
    const checked = await renderAndCheck([
      ['closed', 12, 31],
      ['main', 12, 31],
    ]);
    expect(checked.plan.strategy).toBe('full-render');
    expect(checked.plan.reason).toMatch(/^full render: sources differ in profile \(High and Main\)/);
    expect(checked.log.find((l) => l.startsWith('group 0:'))).toMatch(/full-render \(full render: sources differ in profile/);
    expect(Math.min(...checked.psnrs)).toBeGreaterThan(32);
  });

  it('when a clip has an effect, and says so', async () => {
    const xml = timelines(`<group><track>
<clip src="closed" start="${at(12)}" stop="${at(32)}" timeFormat="time10ms"/>
<clip src="closed" start="${at(50)}" stop="${at(70)}" timeFormat="time10ms"><effect type="hflip"/></clip>
</track></group>`);
    const { outputs, plans, log } = await renderXtl(xml, files, { workDir: outDir() });
    expect(plans[0]!.strategy).toBe('full-render');
    expect(log.find((l) => l.message.startsWith('group 0:'))?.message).toMatch(/full-render \(full render: the clip at line 5 has effects; /);
    expect(await frameCount(outputs[0]!.path)).toBe(40);
    const psnrs = await framePsnrs(outputs[0]!.path, [
      { file: files.closed!, firstFrame: 12, lastFrame: 31 },
      { file: files.closed!, firstFrame: 50, lastFrame: 69, conform: 'hflip' },
    ]);
    expect(Math.min(...psnrs)).toBeGreaterThan(32);
  });

  it('when no whole GOP from an IDR frame lies inside the cuts, leaving nothing of the sound it had started', async () => {
    const checked = await renderAndCheck([['open', 2, 30]]);
    expect(checked.plan.strategy).toBe('full-render');
    expect(checked.plan.reason).toMatch(/^full render: no whole GOP that starts on an IDR frame/);
    // The smart cut's sound starts while the GOPs are scanned; the full render makes its own.
    expect(await fs.readdir(path.dirname(checked.output))).toEqual([path.basename(checked.output)]);
    expect((await decodeAudio(checked.output)).length).toBeGreaterThanOrEqual(29 * (48000 / 25));
  });
});
