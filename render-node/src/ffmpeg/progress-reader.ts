/**
 * Reads ffmpeg's `-progress` output: blocks of `key=value` lines, each closed by
 * `progress=continue` or `progress=end`.
 */

export interface FfmpegProgress {
  /** Output time reached, in microseconds (0 until ffmpeg knows it). */
  outTimeUs: number;
  /** Frames written so far (video outputs). */
  frame: number | undefined;
  /** Encoding speed as a multiple of real time, when ffmpeg reports one. */
  speed: number | undefined;
  /** outTimeUs as a fraction of the expected output duration, from 0 to 1; undefined without one. */
  fraction: number | undefined;
  /** The last report of the run. */
  done: boolean;
}

export class ProgressReader {
  private block = new Map<string, string>();

  constructor(
    private readonly expectedDurationUs: number | undefined,
    private readonly onProgress: (progress: FfmpegProgress) => void,
  ) {}

  line(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== 'progress') {
      this.block.set(key, value);
      return;
    }
    const done = value === 'end';
    const outTimeUs = Math.max(0, toNumber(this.block.get('out_time_us')) ?? 0);
    const speedText = this.block.get('speed');
    const progress: FfmpegProgress = {
      outTimeUs,
      frame: toNumber(this.block.get('frame')),
      speed: speedText === undefined ? undefined : toNumber(speedText.replace(/x$/, '')),
      fraction: this.fractionOf(outTimeUs, done),
      done,
    };
    this.block = new Map();
    this.onProgress(progress);
  }

  private fractionOf(outTimeUs: number, done: boolean): number | undefined {
    if (done) return 1;
    if (this.expectedDurationUs === undefined || this.expectedDurationUs <= 0) return undefined;
    // Never report 1 before ffmpeg says it is finished: the trailer is still to be written.
    return Math.min(0.999, outTimeUs / this.expectedDurationUs);
  }
}

function toNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === 'N/A') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
