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
}

/** Past this length, only keyframes are decoded: thumbnails land near, not on, each step, in a fraction of the time. */
const KEYFRAMES_ONLY_AFTER_HNS = 10 * 60 * 1e7;

const fit = (box: ThumbnailBox) =>
  `scale=w=${box.width}:h=${box.height}:force_original_aspect_ratio=decrease:force_divisible_by=2`;

export async function makeThumbnailPack(options: {
  input: string;
  output: string;
  media: Classification;
  stepHns: number;
  box: ThumbnailBox;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}): Promise<PackResult> {
  const { media, stepHns } = options;
  const stepS = stepHns / 1e7;
  await runFfmpeg({
    args: [
      ...(media.durationHns > KEYFRAMES_ONLY_AFTER_HNS ? ['-skip_frame', 'nokey'] : []),
      '-i', options.input,
      '-map', '0:v:0',
      '-vf', `fps=1/${stepS}:round=near,${fit(options.box)}`,
      '-c:v', 'png', '-f', 'image2pipe', '-y', options.output,
    ],
    expectedDurationS: media.durationHns / 1e7,
    onProgress: (p) => options.onProgress?.(p.fraction ?? 0),
    signal: options.signal,
  });
  const offsets = indexPngPack(await fs.readFile(options.output));
  return { stepHns, count: offsets.length - 1, offsets };
}

/** A small PNG for the media object's `thumbnail`: a frame a little in, the image, or the waveform of audio. */
export async function makePoster(options: {
  input: string;
  output: string;
  media: Classification;
  box: ThumbnailBox;
  signal?: AbortSignal;
}): Promise<Buffer> {
  const { media, box } = options;
  let args: string[];
  if (media.mediaType === 'audio') {
    args = ['-i', options.input, '-filter_complex', `aformat=channel_layouts=mono,showwavespic=s=${box.width * 2}x${box.height}:colors=0x4fc3f7`, '-frames:v', '1'];
  } else {
    const atS = media.mediaType === 'video' ? Math.min(1, media.durationHns / 1e7 / 10) : 0;
    args = ['-ss', atS.toFixed(3), '-i', options.input, '-map', '0:v:0', '-frames:v', '1', '-vf', fit(box)];
  }
  await runFfmpeg({ args: [...args, '-c:v', 'png', '-f', 'image2', '-y', options.output], signal: options.signal });
  return fs.readFile(options.output);
}
