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
  /** The report made once ffmpeg has exited successfully (fraction 1). */
  done: boolean;
}

export class ProgressReader {
  private block = new Map<string, string>();
  private last: FfmpegProgress | undefined;

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
    const outTimeUs = Math.max(0, toNumber(this.block.get('out_time_us')) ?? 0);
    const speedText = this.block.get('speed');
    const progress: FfmpegProgress = {
      outTimeUs,
      frame: toNumber(this.block.get('frame')),
      speed: speedText === undefined ? undefined : toNumber(speedText.replace(/x$/, '')),
      fraction: this.fractionOf(outTimeUs),
      done: false,
    };
    this.last = progress;
    this.block = new Map();
    this.onProgress(progress);
  }

  /**
   * The final report, once ffmpeg has exited 0. `progress=end` alone does not say the run
   * succeeded: ffmpeg prints it when stopped or failing too.
   */
  finish(): void {
    this.onProgress({ outTimeUs: this.last?.outTimeUs ?? 0, frame: this.last?.frame, speed: this.last?.speed, fraction: 1, done: true });
  }

  private fractionOf(outTimeUs: number): number | undefined {
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
