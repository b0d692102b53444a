import { performance } from 'node:perf_hooks';
import type { FfmpegStep } from './plan.js';
import { runStep, type RunStepOptions } from './run-step.js';

/**
 * A step a strategy started while it was still planning, because it needs nothing the rest of
 * the planning finds out: a smart cut's sound runs while the GOPs are scanned. The plan keeps
 * the step in its place; executing the plan waits for this run there instead of starting it.
 */
export class StartedStep {
  readonly startedMs = performance.now();
  private fraction = 0;
  private listener?: (fraction: number) => void;
  private readonly stop = new AbortController();
  /** What the run failed with, or undefined once it succeeded: never rejects, so no failure goes unhandled while nobody waits. */
  private readonly outcome: Promise<unknown>;

  constructor(step: FfmpegStep, options: Omit<RunStepOptions, 'onProgress'>) {
    const { signal } = options;
    const onAbort = () => this.stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const onProgress = (fraction: number) => {
      this.fraction = fraction;
      this.listener?.(fraction);
    };
    this.outcome = runStep(step, { ...options, signal: this.stop.signal, onProgress }).then(
      () => undefined,
      (error: unknown) => error ?? new Error(`${step.description} failed`),
    );
    void this.outcome.finally(() => signal?.removeEventListener('abort', onAbort));
  }

  /** Waits for the run, reporting its progress from now on; throws what it failed with. Aborting `signal` stops it. */
  async join(onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<void> {
    this.listener = onProgress;
    onProgress(this.fraction);
    const onAbort = () => this.stop.abort();
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const failure = await this.outcome;
      if (failure !== undefined) throw failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the run if it still goes and waits until it has: the plan it was started for is not used. */
  async cancel(): Promise<void> {
    this.stop.abort();
    await this.outcome;
  }
}
