import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { framesFor, locateMoov, parseMp4VideoIndex } from './mp4-index.js';
import { thumbnailFit } from './thumbnails.js';
import { WarmFrameDecoders, type ReadRange } from './warm-frame-decoders.js';

const exec = promisify(execFile);
const fit = thumbnailFit(160, 90);

/**
 * Exact thumbnails from scrub copies made as ingest makes them (small, every frame, a keyframe
 * every 12 frames, index first), decoded by ffmpeg processes kept warm: each picture must be
 * the one a fresh ffmpeg seeking in the copy gives, and many pictures must cost few processes.
 * ffmpeg here is the real one behind a wrapper that records each start.
 */
let dir: string;
let scrub: string;
let scrubWide: string;
let noIndexFirst: string;
let wrapper: string;
const startsFile = () => path.join(dir, 'starts');
const starts = async () => (await fs.readFile(startsFile(), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);

async function makeScrub(out: string, size: string, durationS: number, faststart = true): Promise<string> {
  await exec('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=25:duration=${durationS}`,
    '-vf',
    'scale=-2:180,format=yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'fastdecode',
    '-crf',
    '26',
    '-g',
    '12',
    ...(faststart ? ['-movflags', '+faststart'] : []),
    '-f',
    'mp4',
    '-y',
    out,
  ]);
  return out;
}

/** What the one-ffmpeg-per-frame extraction answers: seek to the time, first frame, fitted. */
async function seekFrame(file: string, timeS: number): Promise<Buffer> {
  const out = path.join(dir, `ref-${path.basename(file)}-${timeS}.png`);
  await exec('ffmpeg', [
    '-v',
    'error',
    '-ss',
    timeS.toFixed(4),
    '-i',
    file,
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    '-vf',
    fit,
    '-c:v',
    'png',
    '-f',
    'image2',
    '-y',
    out,
  ]);
  return fs.readFile(out).catch(async () => {
    // Past the end: the last frame.
    await exec('ffmpeg', ['-v', 'error', '-sseof', '-0.5', '-i', file, '-map', '0:v:0', '-update', '1', '-vf', fit, '-c:v', 'png', '-f', 'image2', '-y', out]);
    return fs.readFile(out);
  });
}

function opener(file: string) {
  let opened = 0;
  const open = async (): Promise<{ read: ReadRange; close(): Promise<void> }> => {
    opened++;
    const handle = await fs.open(file, 'r');
    return {
      read: async (start, end) => {
        const buffer = Buffer.alloc(end - start + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
        return buffer.subarray(0, bytesRead);
      },
      close: () => handle.close(),
    };
  };
  return { open, opened: () => opened };
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-warm-frames-'));
  wrapper = path.join(dir, 'ffmpeg');
  await fs.writeFile(wrapper, `#!/bin/bash\necho $$ >> ${startsFile()}\nexec ffmpeg "$@"\n`, { mode: 0o755 });
  [scrub, scrubWide, noIndexFirst] = await Promise.all([
    makeScrub(path.join(dir, 'scrub.mp4'), '320x240', 4),
    makeScrub(path.join(dir, 'wide.mp4'), '640x180', 2),
    makeScrub(path.join(dir, 'no-faststart.mp4'), '320x240', 1, false),
  ]);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the scrub copy index', () => {
  it('lists every frame with its time and keyframes every 12 frames', async () => {
    const file = await fs.readFile(scrub);
    const at = locateMoov(file)!;
    const index = parseMp4VideoIndex(file.subarray(at.start, at.end))!;
    expect(index.samples).toHaveLength(100);
    expect(index.samples.map((s) => s.keyframe).flatMap((k, i) => (k ? [i] : []))).toEqual([0, 12, 24, 36, 48, 60, 72, 84, 96]);
    expect(index.samples[25]!.timeS).toBeCloseTo(1, 6);
    expect([index.width, index.height]).toEqual([240, 180]);
    // The first frame shown at or after the time, from the keyframe before it; the last past the end.
    expect(framesFor(index, 1)).toEqual({ first: 24, target: 25 });
    expect(framesFor(index, 1.001)).toEqual({ first: 24, target: 26 });
    expect(framesFor(index, 0.47)).toEqual({ first: 12, target: 12 });
    expect(framesFor(index, 99)).toEqual({ first: 96, target: 99 });
  });

  it('is not found in a file whose index comes after its media', async () => {
    expect(locateMoov(await fs.readFile(noIndexFirst))).toBeUndefined();
  });
});

describe('warm frame decoders', () => {
  let decoders: WarmFrameDecoders | undefined;
  afterEach(async () => {
    await decoders?.close();
    await fs.rm(startsFile(), { force: true });
  });

  it('answers the very picture a seeking ffmpeg gives, from one process for many frames', async () => {
    decoders = new WarmFrameDecoders({ ffmpeg: wrapper, scaleFilter: fit, maxProcesses: 3, idleMs: 60_000 });
    const { open, opened } = opener(scrub);
    const times = [0, 0.04, 0.5, 1.23, 2, 3.96, 2.44, 0.48, 60];
    for (const timeS of times) {
      expect((await decoders.frame('scrub', open, timeS))?.equals(await seekFrame(scrub, timeS)), `frame at ${timeS} s`).toBe(true);
    }
    // Asked together, each still gets its own frame.
    const together = await Promise.all([1, 1.04, 1.08, 3].map((t) => decoders!.frame('scrub', open, t)));
    for (const [i, t] of [1, 1.04, 1.08, 3].entries()) expect(together[i]!.equals(await seekFrame(scrub, t))).toBe(true);
    // One process for the copy and one started ahead for the next copy; the file opened once.
    expect((await starts()).length).toBeLessThanOrEqual(2);
    expect(opened()).toBe(1);
  });

  it('keeps at most its number of processes across copies, each copy its own picture size', async () => {
    decoders = new WarmFrameDecoders({ ffmpeg: wrapper, scaleFilter: fit, maxProcesses: 2, idleMs: 60_000 });
    for (const [file, timeS] of [
      [scrub, 1.5],
      [scrubWide, 0.5],
      [scrub, 2.5],
      [scrubWide, 1.2],
    ] as const) {
      const picture = await decoders.frame(file, opener(file).open, timeS);
      expect(picture?.equals(await seekFrame(file, timeS)), `${path.basename(file)} at ${timeS} s`).toBe(true);
      expect(decoders.processCount).toBeLessThanOrEqual(2);
    }
  });

  it('declines a copy it cannot index, for the caller to extract the usual way', async () => {
    decoders = new WarmFrameDecoders({ ffmpeg: wrapper, scaleFilter: fit, maxProcesses: 2, idleMs: 60_000 });
    expect(await decoders.frame('late-index', opener(noIndexFirst).open, 0.5)).toBeUndefined();
  });

  it('starts a new process when its ffmpeg dies, never answering a wrong picture', async () => {
    decoders = new WarmFrameDecoders({ ffmpeg: wrapper, scaleFilter: fit, maxProcesses: 2, idleMs: 60_000 });
    const { open } = opener(scrub);
    expect((await decoders.frame('scrub', open, 1))?.equals(await seekFrame(scrub, 1))).toBe(true);
    for (const pid of await starts()) process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answers = [await decoders.frame('scrub', open, 2), await decoders.frame('scrub', open, 2)];
    const expected = await seekFrame(scrub, 2);
    for (const answer of answers) if (answer) expect(answer.equals(expected)).toBe(true);
    expect(answers.at(-1)?.equals(expected)).toBe(true);
  });

  it('does nothing when turned off', async () => {
    decoders = new WarmFrameDecoders({ ffmpeg: wrapper, scaleFilter: fit, maxProcesses: 0, idleMs: 60_000 });
    expect(await decoders.frame('scrub', opener(scrub).open, 1)).toBeUndefined();
    expect(await starts()).toEqual([]);
  });
});
