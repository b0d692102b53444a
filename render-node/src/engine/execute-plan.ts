import fs from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { FfmpegAbortedError, FfmpegError, FfmpegUnavailableError } from '../ffmpeg/errors.js';
import { runFfmpeg } from '../ffmpeg/run-ffmpeg.js';
import type { FfmpegStep, GroupPlan, RenderTimings } from './plan.js';
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
  /** How many concurrent steps run at once (half the CPUs, at least two, by default). */
  concurrency?: number;
  /** Wall time of each phase (encode, join), and of each part's steps, is added here as steps finish. */
  timings?: Pick<RenderTimings, 'encodeMs' | 'joinMs' | 'partMs'>;
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

/**
 * Runs a plan's steps in order; the output is at `plan.partialPath` when it resolves. Runs of
 * adjacent concurrent steps go a few at a time; when one of them fails, the others are stopped.
 */
export async function executePlan(plan: GroupPlan, options: ExecuteOptions): Promise<void> {
  const totalWeight = plan.steps.reduce((sum, s) => sum + (s.kind === 'ffmpeg' ? s.weight : 0), 0) || 1;
  let doneWeight = 0;
  const running = new Map<FfmpegStep, number>();
  const report = () => {
    let current = doneWeight;
    for (const [step, fraction] of running) current += fraction * step.weight;
    options.onProgress?.(current / totalWeight);
  };
  const runStep = async (step: FfmpegStep, signal: AbortSignal | undefined) => {
    running.set(step, 0);
    const stepStartedMs = performance.now();
    const run = (args: string[]) =>
      runFfmpeg({
        args,
        expectedDurationS: step.expectedDurationS,
        signal,
        ffmpegPath: options.ffmpegPath,
        onProgress: (p) => {
          running.set(step, p.fraction ?? 0);
          report();
        },
      });
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
    running.delete(step);
    if (step.part && options.timings) options.timings.partMs[step.part] += performance.now() - stepStartedMs;
    doneWeight += step.weight;
    report();
  };
  const limit = Math.max(1, options.concurrency ?? Math.max(2, Math.floor(os.availableParallelism() / 2)));
  for (let i = 0; i < plan.steps.length; i++) {
    if (options.signal?.aborted) throw aborted();
    const step = plan.steps[i]!;
    if (step.kind === 'write-file') {
      try {
        await fs.writeFile(step.path, step.contents);
      } catch (error) {
        throw new RenderError('output_failed', `${step.description} could not be written to ${step.path}: ${(error as Error).message}`, { cause: error });
      }
      continue;
    }
    const startedMs = performance.now();
    const account = (phase: 'encode' | 'join' | undefined) => {
      if (options.timings) options.timings[phase === 'join' ? 'joinMs' : 'encodeMs'] += performance.now() - startedMs;
    };
    if (!step.concurrent) {
      await runStep(step, options.signal);
      account(step.phase);
      continue;
    }
    const batch: FfmpegStep[] = [];
    for (let j = i; j < plan.steps.length; j++) {
      const next = plan.steps[j]!;
      if (next.kind !== 'ffmpeg' || !next.concurrent) break;
      batch.push(next);
    }
    i += batch.length - 1;
    await runConcurrently(batch, limit, options.signal, runStep);
    account(batch[0]!.phase);
  }
}

/** Runs steps `limit` at a time; the first failure stops the rest and is what is thrown. */
async function runConcurrently(
  steps: FfmpegStep[],
  limit: number,
  signal: AbortSignal | undefined,
  runStep: (step: FfmpegStep, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let failure: unknown;
  // The heaviest first (the sound, the longest encodes), the light copies fill in at the end:
  // the batch ends sooner than in plan order.
  const ordered = [...steps].sort((a, b) => b.weight - a.weight);
  const worker = async () => {
    while (next < ordered.length && failure === undefined && !stop.signal.aborted) {
      const step = ordered[next++]!;
      try {
        await runStep(step, stop.signal);
      } catch (error) {
        failure ??= error;
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, steps.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw aborted();
  if (failure !== undefined) throw failure;
}
