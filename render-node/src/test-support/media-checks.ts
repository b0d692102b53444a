import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * What the engine tests look at in an output: per-frame PSNR against a reference cut made by
 * frame number with ffmpeg's `select`, pixels, decoded samples, tone levels.
 */

const exec = promisify(execFile);

async function ffmpegBuffer(args: string[]): Promise<Buffer> {
  const { stdout } = await exec('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { encoding: 'buffer', maxBuffer: 512 * 2 ** 20 });
  return stdout;
}

/** A correct frame after one lossy encode scores ~38 dB against its source; a neighbouring frame ~23 dB. */
export const SAME_FRAME_DB = 32;

export interface ReferenceSegment {
  file: string;
  /** Source frame numbers, first and last included. */
  firstFrame: number;
  lastFrame: number;
  /** Keep every nth frame (2 for a clip played at double speed). */
  step?: number;
  /** Filters to bring the source frames to the output's picture (scale, pad). */
  conform?: string;
}

/**
 * PSNR (dB, Infinity when identical) of each output frame against the frame the timeline says
 * belongs there, taken by number from the source. `shift` compares against the reference moved
 * by that many frames, to show a comparison tells neighbouring frames apart.
 */
export async function framePsnrs(output: string, segments: ReferenceSegment[], options: { shift?: number } = {}): Promise<number[]> {
  const inputs = [output, ...segments.map((s) => s.file)].flatMap((f) => ['-i', f]);
  const chains = segments.map((s, i) => {
    const step = s.step ?? 1;
    const selection =
      step === 1 ? `between(n\\,${s.firstFrame}\\,${s.lastFrame})` : `between(n\\,${s.firstFrame}\\,${s.lastFrame})*not(mod(n-${s.firstFrame}\\,${step}))`;
    return `[${i + 1}:v]select='${selection}',${s.conform ? `${s.conform},` : ''}format=yuv420p,settb=1/25,setpts=N[r${i}]`;
  });
  const concat =
    segments.length > 1 ? `${segments.map((_, i) => `[r${i}]`).join('')}concat=n=${segments.length}:v=1:a=0,settb=1/25,setpts=N[ref0]` : '[r0]null[ref0]';
  const shift = options.shift ?? 0;
  const refChain = shift > 0 ? `[ref0]trim=start_frame=${shift},setpts=N[ref]` : '[ref0]null[ref]';
  const outChain = `[0:v]format=yuv420p,settb=1/25,setpts=N[out]`;
  const graph = [...chains, concat, refChain, outChain, '[out][ref]psnr=stats_file=-:shortest=1'].join(';');
  const stdout = await ffmpegBuffer([...inputs, '-filter_complex', graph, '-f', 'null', '-']);
  return stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith('n:'))
    .map((line) => {
      const value = /psnr_avg:(\S+)/.exec(line)?.[1];
      return value === 'inf' ? Infinity : Number(value);
    });
}

export async function frameCount(file: string): Promise<number> {
  const { stdout } = await exec('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_frames',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim());
}

export async function streamsOf(
  file: string,
): Promise<{ codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; r_frame_rate?: string; duration?: string }[]> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]);
  return (JSON.parse(stdout) as { streams: [] }).streams;
}

/** RGB of a pixel of one frame. */
export async function pixelAt(file: string, frame: number, x: number, y: number): Promise<[number, number, number]> {
  const raw = await ffmpegBuffer([
    '-i',
    file,
    '-vf',
    `select=eq(n\\,${frame}),format=rgb24,crop=1:1:${x}:${y}`,
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  if (raw.length < 3) throw new Error(`frame ${frame} of ${file} not found`);
  return [raw[0]!, raw[1]!, raw[2]!];
}

/** The first channel of the sound, as floats at `sampleRate`. */
export async function decodeAudio(file: string, sampleRate = 48000): Promise<Float32Array> {
  const raw = await ffmpegBuffer(['-i', file, '-map', '0:a:0', '-af', 'pan=mono|c0=c0', '-ar', String(sampleRate), '-f', 'f32le', '-']);
  return new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
}

function window(samples: Float32Array, sampleRate: number, fromS: number, toS: number): Float32Array {
  return samples.subarray(Math.round(fromS * sampleRate), Math.round(toS * sampleRate));
}

export function rms(samples: Float32Array, sampleRate: number, fromS: number, toS: number): number {
  const w = window(samples, sampleRate, fromS, toS);
  let sum = 0;
  for (const s of w) sum += s * s;
  return Math.sqrt(sum / Math.max(1, w.length));
}

/** Amplitude of one frequency in a stretch of sound (Goertzel): ~the sine's peak amplitude. */
export function toneLevel(samples: Float32Array, sampleRate: number, hz: number, fromS: number, toS: number): number {
  const w = window(samples, sampleRate, fromS, toS);
  const k = (2 * Math.PI * hz) / sampleRate;
  const coefficient = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (const x of w) {
    const s0 = x + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / w.length;
}
