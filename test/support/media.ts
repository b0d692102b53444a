import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Makes real media with ffmpeg's lavfi sources, cached per test process by its arguments. */
const made = new Map<string, Promise<string>>();

export function makeMedia(name: string, ffmpegArgs: string[]): Promise<string> {
  const key = `${name}:${ffmpegArgs.join(' ')}`;
  let file = made.get(key);
  if (!file) {
    file = (async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-media-'));
      const out = path.join(dir, name);
      await run('ffmpeg', ['-v', 'error', '-y', ...ffmpegArgs, out]);
      return out;
    })();
    made.set(key, file);
  }
  return file;
}

/** A small H.264/AAC MP4: 320x240, 25 fps, with a tone. */
export function smallMp4(durationS = 2): Promise<string> {
  return makeMedia(`small-${durationS}s.mp4`, [
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=320x240:rate=25:duration=${durationS}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${durationS}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
  ]);
}
