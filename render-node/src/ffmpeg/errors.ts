/** What can go wrong when running ffmpeg or ffprobe, as values a caller can tell apart. */

/** The tool ran and failed: its exit status and the end of what it wrote to stderr. */
export class FfmpegError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
    readonly args: readonly string[],
  ) {
    const status = exitCode !== null ? `exited with code ${exitCode}` : `was killed by ${signal ?? 'a signal'}`;
    const lastLines = stderrTail.trim().split('\n').slice(-3).join(' | ');
    super(`${tool} ${status}${lastLines ? `: ${lastLines}` : ''}`);
    this.name = 'FfmpegError';
  }
}

/** The run was stopped through its AbortSignal; the child is gone when this is thrown. */
export class FfmpegAbortedError extends Error {
  constructor(readonly tool: string) {
    super(`${tool} was stopped: the operation was aborted`);
    this.name = 'AbortError';
  }
}

export type FfmpegUnavailableReason = 'missing' | 'too_old' | 'unusable';

/** ffmpeg or ffprobe cannot be used at all: missing, not executable, or older than 5. */
export class FfmpegUnavailableError extends Error {
  constructor(
    readonly tool: string,
    readonly reason: FfmpegUnavailableReason,
    message: string,
  ) {
    super(message);
    this.name = 'FfmpegUnavailableError';
  }
}
