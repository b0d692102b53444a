import fs from 'node:fs/promises';
import { runFfmpeg } from '../ffmpeg/index.js';
import type { Classification } from './classify.js';
import { indexPngPack } from './png-pack.js';

/** Timeline thumbnails (a frame every step) and the single picture that stands for a file. */

export interface ThumbnailBox {
  width: number;
  height: number;
}

export interface PackResult {
  stepHns: number;
  count: number;
  offsets: number[];
  /** Whether the scrub copy was written (not for files decoded keyframes-only). */
  scrub: boolean;
}

/**
 * The scrub copy: every frame, small, with a short GOP, so that an exact frame at any time
 * decodes in milliseconds (on-demand thumbnails). Made in the same decode as the pack.
 */
const scrubArgs = (height: number, output: string) => [
  '-map',
  '0:v:0',
  '-vf',
  `scale=-2:${height},format=yuv420p`,
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
  '-an',
  '-movflags',
  '+faststart',
  '-f',
  'mp4',
  '-y',
  output,
];

/** Past this length, only keyframes are decoded: thumbnails land near, not on, each step, in a fraction of the time. */
const KEYFRAMES_ONLY_AFTER_HNS = 10 * 60 * 1e7;

const fit = (box: ThumbnailBox) => `scale=w=${box.width}:h=${box.height}:force_original_aspect_ratio=decrease:force_divisible_by=2`;

export async function makeThumbnailPack(options: {
  input: string;
  output: string;
  media: Classification;
  stepHns: number;
  box: ThumbnailBox;
  /** Where to write the scrub copy, if wanted. */
  scrubOutput?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}): Promise<PackResult> {
  const { media, stepHns } = options;
  const stepS = stepHns / 1e7;
  const keyframesOnly = media.durationHns > KEYFRAMES_ONLY_AFTER_HNS;
  const scrub = options.scrubOutput !== undefined && !keyframesOnly;
  await runFfmpeg({
    args: [
      ...(keyframesOnly ? ['-skip_frame', 'nokey'] : []),
      '-i',
      options.input,
      '-map',
      '0:v:0',
      '-vf',
      `fps=1/${stepS}:round=near,${fit(options.box)}`,
      '-c:v',
      'png',
      '-f',
      'image2pipe',
      '-y',
      options.output,
      ...(scrub ? scrubArgs(options.box.height * 2, options.scrubOutput!) : []),
    ],
    expectedDurationS: media.durationHns / 1e7,
    onProgress: (p) => options.onProgress?.(p.fraction ?? 0),
    signal: options.signal,
  });
  const offsets = indexPngPack(await fs.readFile(options.output));
  return { stepHns, count: offsets.length - 1, offsets, scrub };
}

/** ffmpeg wrote no picture: the file has none that decodes. */
export class NoPicture extends Error {}

/**
 * A small PNG for the media object's `thumbnail`: a frame a little in, the image, or the waveform of audio.
 *
 * The frame is found by decoding from the start (the seek is on the output side): an input-side
 * seek in a file without an index (MPEG-TS) lands after the only keyframe of a short file, and
 * ffmpeg then ends successfully having written nothing. It is at most a second of decoding.
 * When nothing decodes at that time (a file shorter than its header says), the first frame is taken.
 */
export async function makePoster(options: { input: string; output: string; media: Classification; box: ThumbnailBox; signal?: AbortSignal }): Promise<Buffer> {
  const { media, box } = options;
  const attempts: string[][] = [];
  if (media.mediaType === 'audio') {
    attempts.push([
      '-i',
      options.input,
      '-filter_complex',
      `aformat=channel_layouts=mono,showwavespic=s=${box.width * 2}x${box.height}:colors=0x4fc3f7`,
      '-frames:v',
      '1',
    ]);
  } else {
    const atS = media.mediaType === 'video' ? Math.min(1, media.durationHns / 1e7 / 10) : 0;
    const frame = ['-map', '0:v:0', '-frames:v', '1', '-vf', fit(box)];
    if (atS > 0) attempts.push(['-i', options.input, '-ss', atS.toFixed(3), ...frame]);
    attempts.push(['-i', options.input, ...frame]);
  }
  for (const args of attempts) {
    await fs.rm(options.output, { force: true });
    await runFfmpeg({ args: [...args, '-c:v', 'png', '-f', 'image2', '-update', '1', '-y', options.output], signal: options.signal });
    const poster = await fs.readFile(options.output).catch(() => undefined);
    if (poster && poster.length > 0) return poster;
  }
  throw new NoPicture(media.mediaType === 'audio' ? 'no sound could be decoded for the waveform' : 'no picture could be decoded');
}
