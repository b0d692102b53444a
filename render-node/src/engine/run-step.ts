import { FfmpegAbortedError, FfmpegError, FfmpegUnavailableError } from '../ffmpeg/errors.js';
import { runFfmpeg } from '../ffmpeg/run-ffmpeg.js';
import type { FfmpegStep } from './plan.js';
import { RenderError } from './render-error.js';
import type { RenderLog } from './render-log.js';

export interface RunStepOptions {
  signal?: AbortSignal;
  log: RenderLog;
  ffmpegPath?: string;
  /** Inputs of the plan, to tell a source that cannot be read from an encoder failure. */
  inputs: readonly string[];
  /** The step's progress, from 0 to 1. */
  onProgress?: (fraction: number) => void;
  /** The group the step belongs to, for the log. */
  groupIndex: number;
}

export function abortedError(): RenderError {
  return new RenderError('aborted', 'the render was aborted');
}

function classify(error: unknown, step: FfmpegStep, inputs: readonly string[]): RenderError {
  if (error instanceof RenderError) return error;
  if (error instanceof FfmpegAbortedError) return abortedError();
  if (error instanceof FfmpegUnavailableError) return new RenderError('ffmpeg_unavailable', error.message, { cause: error });
  if (error instanceof FfmpegError) {
    const unreadable = inputs.find((input) => error.stderrTail.includes(input));
    if (unreadable)
      return new RenderError('source_unreadable', `source ${unreadable} could not be read: ${error.stderrTail.trim().split('\n').slice(-2).join(' | ')}`, {
        cause: error,
      });
    if (/No space left on device|Permission denied/.test(error.stderrTail))
      return new RenderError('output_failed', `the output could not be written: ${error.message}`, { cause: error });
    return new RenderError('encode_failed', `${step.description} failed: ${error.message}`, { cause: error });
  }
  return new RenderError('encode_failed', `${step.description} failed: ${(error as Error).message}`, { cause: error });
}

/** Runs one ffmpeg step (and its fallback when it fails); failures become RenderErrors with stable codes. */
export async function runStep(step: FfmpegStep, options: RunStepOptions): Promise<void> {
  const run = (args: string[]) =>
    runFfmpeg({
      args,
      expectedDurationS: step.expectedDurationS,
      signal: options.signal,
      ffmpegPath: options.ffmpegPath,
      onProgress: (p) => options.onProgress?.(p.fraction ?? 0),
    });
  try {
    await run(step.args);
  } catch (error) {
    if (!step.fallback || !(error instanceof FfmpegError)) throw classify(error, step, options.inputs);
    options.log.warn({ groupIndex: options.groupIndex, error: error.message }, step.fallback.reason);
    try {
      await run(step.fallback.args);
    } catch (fallbackError) {
      throw classify(fallbackError, step, options.inputs);
    }
  }
}
