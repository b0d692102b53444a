import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * What a player meets in an output, beyond its pictures: whether every packet decodes without
 * a complaint, and whether the timestamps rise as they must.
 */

const exec = promisify(execFile);

/**
 * Everything ffmpeg says at error level while decoding every stream of a file, stopping at the
 * first error (`-xerror`): an empty string for a clean file.
 */
export async function decodeErrors(file: string): Promise<string> {
  try {
    const { stderr } = await exec('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-xerror', '-i', file, '-f', 'null', '-'], { maxBuffer: 16 * 2 ** 20 });
    return stderr.trim();
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    return (failed.stderr ?? failed.message).trim() || 'ffmpeg failed';
  }
}

export interface PacketTimes {
  ptsS: number;
  dtsS: number;
}

/** Presentation and decoding times of the packets of the first video stream, in file order. */
export async function videoPacketTimes(file: string): Promise<PacketTimes[]> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,dts_time', '-of', 'csv=p=0', file], {
    maxBuffer: 64 * 2 ** 20,
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [pts, dts] = line.split(',').map(Number);
      return { ptsS: pts!, dtsS: dts! };
    });
}

/**
 * What is wrong with a stream's timestamps, if anything: decoding times that do not rise, a
 * picture presented before it is decoded, or presentation times that are not one frame apart
 * (a frame lost or shown twice).
 */
export function timestampFaults(packets: PacketTimes[], fps: number): string[] {
  const faults: string[] = [];
  const frameS = 1 / fps;
  packets.forEach((p, i) => {
    if (i > 0 && !(p.dtsS > packets[i - 1]!.dtsS)) faults.push(`packet ${i}: dts ${p.dtsS} after ${packets[i - 1]!.dtsS}`);
    if (p.ptsS < p.dtsS - 1e-6) faults.push(`packet ${i}: pts ${p.ptsS} before dts ${p.dtsS}`);
  });
  const sorted = packets.map((p) => p.ptsS).sort((a, b) => a - b);
  sorted.forEach((t, i) => {
    if (Math.abs(t - (sorted[0]! + i * frameS)) > frameS / 4) faults.push(`frame ${i} at ${t}s, expected ${sorted[0]! + i * frameS}s`);
  });
  return faults.slice(0, 10);
}
