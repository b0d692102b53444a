import path from 'node:path';
import { ffmpegCli } from './lavfi-media.js';

/**
 * A source whose sound says the time of every sample: PCM (lossless) whose value at time t is
 * t/8, beside a small H.264 picture (10-frame GOP, two B-frames) at 25 fps. A decoded sample
 * tells where it came from, so a test sees any sample lost, repeated or shifted at a cut.
 */
export async function makePcmRamp(dir: string, name = 'ramp', durationS = 4): Promise<string> {
  const file = path.join(dir, `${name}.mov`);
  await ffmpegCli([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=160x120:r=25:d=${durationS}`,
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=exprs=t/8:s=48000:d=${durationS}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '10',
    '-bf',
    '2',
    '-c:a',
    'pcm_s16le',
    '-y',
    file,
  ]);
  return file;
}
