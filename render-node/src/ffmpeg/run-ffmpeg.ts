import { defaultBinaries } from './binaries.js';
import { ProgressReader, type FfmpegProgress } from './progress-reader.js';
import { spawnTool } from './spawn-tool.js';

export interface RunFfmpegOptions {
  /** Arguments after the ones the runner owns (`-hide_banner -nostdin -progress pipe:1 -nostats -loglevel`). */
  args: readonly string[];
  /** Duration of the output in seconds, which progress is a fraction of. */
  expectedDurationS?: number;
  onProgress?: (progress: FfmpegProgress) => void;
  signal?: AbortSignal;
  /** ffmpeg's log level for stderr (what error messages are made of); `error` by default. */
  logLevel?: 'quiet' | 'panic' | 'fatal' | 'error' | 'warning' | 'info' | 'verbose' | 'debug';
  /** Executable; FFMPEG_PATH or PATH by default. */
  ffmpegPath?: string;
  killGraceMs?: number;
  /** Called with ffmpeg's process id once it is started (for logs). */
  onStart?: (pid: number) => void;
}

export interface RunFfmpegResult {
  /** The end of what ffmpeg wrote to stderr (warnings, at a verbose log level). */
  stderrTail: string;
}

/**
 * Runs ffmpeg to completion. Resolves when it exits 0; rejects with FfmpegError (exit code and
 * stderr tail), FfmpegAbortedError once the child is gone after an abort, or
 * FfmpegUnavailableError when ffmpeg cannot be found or started.
 */
export async function runFfmpeg(options: RunFfmpegOptions): Promise<RunFfmpegResult> {
  const expectedUs = options.expectedDurationS === undefined ? undefined : options.expectedDurationS * 1e6;
  const reader = options.onProgress ? new ProgressReader(expectedUs, options.onProgress) : undefined;
  const { stderrTail } = await spawnTool({
    command: options.ffmpegPath ?? defaultBinaries().ffmpeg,
    args: ['-hide_banner', '-nostdin', '-progress', 'pipe:1', '-nostats', '-loglevel', options.logLevel ?? 'error', ...options.args],
    signal: options.signal,
    onStdoutLine: reader ? (line) => reader.line(line) : undefined,
    killGraceMs: options.killGraceMs,
    onStart: options.onStart,
  });
  reader?.finish();
  return { stderrTail };
}

export type { FfmpegProgress };
