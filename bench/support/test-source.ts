import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The benches' test media: an H.264 + AAC MP4 made by ffmpeg from a lavfi picture (testsrc2 by
 * default: every frame differs) and a sine tone, at 25 fps and 48 kHz. What the benches vary
 * (size, length, GOP, quality) are parameters; everything else is the same for all of them.
 */
export interface TestSourceOptions {
  width: number;
  height: number;
  seconds: number;
  /** lavfi picture source. */
  picture?: 'testsrc2' | 'smptebars' | 'testsrc' | 'rgbtestsrc';
  toneHz?: number;
  /** Keyframe interval in frames (`-g`). */
  gopFrames: number;
  /** Keyframes exactly every `gopFrames` (no shorter GOP, no scene-cut keyframe). */
  fixedGop?: boolean;
  /** libx264 CRF; x264's default when absent. */
  crf?: number;
  /** AAC bitrate (`128k`); the encoder's default when absent. */
  audioBitrate?: string;
  /** Two sound channels (the tone is mono otherwise). */
  stereo?: boolean;
  /** The index at the front of the file. */
  faststart?: boolean;
}

export function testSourceArgs(o: TestSourceOptions): string[] {
  return [
    '-f',
    'lavfi',
    '-i',
    `${o.picture ?? 'testsrc2'}=s=${o.width}x${o.height}:r=25:d=${o.seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=f=${o.toneHz ?? 440}:r=48000:d=${o.seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    ...(o.crf === undefined ? [] : ['-crf', String(o.crf)]),
    '-g',
    String(o.gopFrames),
    ...(o.fixedGop ? ['-keyint_min', String(o.gopFrames), '-sc_threshold', '0'] : []),
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    ...(o.audioBitrate ? ['-b:a', o.audioBitrate] : []),
    ...(o.stereo ? ['-ac', '2'] : []),
    ...(o.faststart ? ['-movflags', '+faststart'] : []),
  ];
}

/** Makes the source at `file` (through a partial file, so an interrupted run leaves none). */
export async function makeTestSource(file: string, options: TestSourceOptions): Promise<string> {
  const partial = `${file}.partial.mp4`;
  await run('ffmpeg', ['-v', 'error', ...testSourceArgs(options), '-f', 'mp4', '-y', partial]);
  await fs.rename(partial, file);
  return file;
}

/** The source at `file`, made only when it is not there yet (sources are kept between runs). */
export async function cachedTestSource(file: string, options: TestSourceOptions, log?: (line: string) => void): Promise<string> {
  if (existsSync(file)) return file;
  await fs.mkdir(path.dirname(file), { recursive: true });
  log?.(`making a ${options.width}x${options.height} ${options.seconds} s H.264 source (${options.gopFrames / 25} s GOP)`);
  return makeTestSource(file, options);
}
