import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * What a recording sounds like, measured: ffmpeg decodes it to mono PCM at a low rate, and
 * the tone's power is read with the Goertzel algorithm (one DFT bin at a time).
 */

const run = promisify(execFile);
const RATE = 8000;

/** The file's audio as mono samples at 8 kHz, from -1 to 1. */
export async function decodeMono(file: string): Promise<Float32Array> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 256 * 2 ** 20,
  });
  const pcm = new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 2));
  return Float32Array.from(pcm, (v) => v / 32768);
}

/** Mean power of the `hz` component over the samples. */
export function tonePower(samples: Float32Array, hz: number, from = 0, to = samples.length): number {
  const k = (2 * Math.PI * hz) / RATE;
  const coefficient = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = samples[i]! + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const n = Math.max(1, to - from);
  return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (n * n);
}

/** The frequency with the most power between 50 Hz and 3.5 kHz, to 1 Hz. */
export function dominantFrequency(samples: Float32Array): number {
  let best = 0;
  let bestPower = -1;
  const scan = (from: number, to: number, step: number) => {
    for (let hz = from; hz <= to; hz += step) {
      const power = tonePower(samples, hz);
      if (power > bestPower) {
        bestPower = power;
        best = hz;
      }
    }
  };
  scan(50, 3500, 10);
  const coarse = best;
  scan(coarse - 10, coarse + 10, 1);
  return best;
}

export const samplesPerSecond = RATE;
