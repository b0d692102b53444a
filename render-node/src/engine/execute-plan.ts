import fs from 'node:fs/promises';
import { FfmpegAbortedError, FfmpegError, FfmpegUnavailableError } from '../ffmpeg/errors.js';
import { runFfmpeg } from '../ffmpeg/run-ffmpeg.js';
import type { FfmpegStep, GroupPlan } from './plan.js';
import { RenderError } from './render-error.js';
import type { RenderLog } from './render-log.js';

export interface ExecuteOptions {
  signal?: AbortSignal;
  log: RenderLog;
  ffmpegPath?: string;
  /** Progress of this plan's steps, from 0 to 1. */
  onProgress?: (fraction: number) => void;
  /** Inputs of the plan, to tell a source that cannot be read from an encoder failure. */
  inputs: readonly string[];
}

function aborted(): RenderError {
  return new RenderError('aborted', 'the render was aborted');
}

function classify(error: unknown, step: FfmpegStep, inputs: readonly string[]): RenderError {
  if (error instanceof RenderError) return error;
  if (error instanceof FfmpegAbortedError) return aborted();
  if (error instanceof FfmpegUnavailableError) return new RenderError('ffmpeg_unavailable', error.message, { cause: error });
  if (error instanceof FfmpegError) {
    const unreadable = inputs.find((input) => error.stderrTail.includes(input));
    if (unreadable) return new RenderError('source_unreadable', `source ${unreadable} could not be read: ${error.stderrTail.trim().split('\n').slice(-2).join(' | ')}`, { cause: error });
    if (/No space left on device|Permission denied/.test(error.stderrTail)) return new RenderError('output_failed', `the output could not be written: ${error.message}`, { cause: error });
    return new RenderError('encode_failed', `${step.description} failed: ${error.message}`, { cause: error });
  }
  return new RenderError('encode_failed', `${step.description} failed: ${(error as Error).message}`, { cause: error });
}

/** Runs a plan's steps in order; the output is at `plan.partialPath` when it resolves. */
export async function executePlan(plan: GroupPlan, options: ExecuteOptions): Promise<void> {
  const totalWeight = plan.steps.reduce((sum, s) => sum + (s.kind === 'ffmpeg' ? s.weight : 0), 0) || 1;
  let doneWeight = 0;
  for (const step of plan.steps) {
    if (options.signal?.aborted) throw aborted();
    if (step.kind === 'write-file') {
      try {
        await fs.writeFile(step.path, step.contents);
      } catch (error) {
        throw new RenderError('output_failed', `${step.description} could not be written to ${step.path}: ${(error as Error).message}`, { cause: error });
      }
      continue;
    }
    const report = (fraction: number | undefined) => options.onProgress?.((doneWeight + (fraction ?? 0) * step.weight) / totalWeight);
    const run = (args: string[]) =>
      runFfmpeg({ args, expectedDurationS: step.expectedDurationS, signal: options.signal, ffmpegPath: options.ffmpegPath, onProgress: (p) => report(p.fraction) });
    try {
      await run(step.args);
    } catch (error) {
      if (!step.fallback || !(error instanceof FfmpegError)) throw classify(error, step, options.inputs);
      options.log.warn({ groupIndex: plan.groupIndex, error: error.message }, step.fallback.reason);
      try {
        await run(step.fallback.args);
      } catch (fallbackError) {
        throw classify(fallbackError, step, options.inputs);
      }
    }
    doneWeight += step.weight;
    report(0);
  }
}
