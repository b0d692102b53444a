import fs from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { FfmpegStep, GroupPlan, RenderTimings } from './plan.js';
import { RenderError } from './render-error.js';
import type { RenderLog } from './render-log.js';
import { abortedError, runStep } from './run-step.js';

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

/** How many concurrent steps run at once by default: half the CPUs, at least two. */
export function concurrentSteps(cpus = os.availableParallelism()): number {
  return Math.max(2, Math.floor(cpus / 2));
}

/**
 * Threads for each decoder and encoder of a step that runs beside others: its share of the
 * CPUs. The steps of a smart cut are short stretches; threading each of them across every core
 * costs more CPU in start-up and hand-over than it gains while they share the cores anyway.
 */
export function threadsPerStep(cpus = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cpus / concurrentSteps(cpus)));
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
  const runOne = async (step: FfmpegStep, signal: AbortSignal | undefined) => {
    running.set(step, 0);
    const onProgress = (fraction: number) => {
      running.set(step, fraction);
      report();
    };
    // A step the strategy started while planning is waited for, not run again.
    const started = plan.started?.get(step);
    const stepStartedMs = started?.startedMs ?? performance.now();
    if (started) await started.join(onProgress, signal);
    else await runStep(step, { signal, log: options.log, ffmpegPath: options.ffmpegPath, inputs: options.inputs, onProgress, groupIndex: plan.groupIndex });
    running.delete(step);
    if (step.part && options.timings) options.timings.partMs[step.part] += performance.now() - stepStartedMs;
    doneWeight += step.weight;
    report();
  };
  const limit = Math.max(1, options.concurrency ?? concurrentSteps());
  for (let i = 0; i < plan.steps.length; i++) {
    if (options.signal?.aborted) throw abortedError();
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
      await runOne(step, options.signal);
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
    await runConcurrently(batch, limit, options.signal, runOne, (s) => plan.started?.has(s) ?? false);
    account(batch[0]!.phase);
  }
}

/** Runs steps `limit` at a time; the first failure stops the rest and is what is thrown. */
async function runConcurrently(
  steps: FfmpegStep[],
  limit: number,
  signal: AbortSignal | undefined,
  run: (step: FfmpegStep, signal: AbortSignal) => Promise<void>,
  alreadyRunning: (step: FfmpegStep) => boolean,
): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let failure: unknown;
  // Steps started while planning take their places first (they hold a CPU already); then the
  // heaviest (the sound, the longest encodes), and the light copies fill in at the end: the
  // batch ends sooner than in plan order.
  const ordered = [...steps].sort((a, b) => Number(alreadyRunning(b)) - Number(alreadyRunning(a)) || b.weight - a.weight);
  const worker = async () => {
    while (next < ordered.length && failure === undefined && !stop.signal.aborted) {
      const step = ordered[next++]!;
      try {
        await run(step, stop.signal);
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
  if (signal?.aborted) throw abortedError();
  if (failure !== undefined) throw failure;
}
