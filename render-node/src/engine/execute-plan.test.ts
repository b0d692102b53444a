import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningChildCount } from '../ffmpeg/spawn-tool.js';
import { tempDir } from '../test-support/lavfi-media.js';
import { executePlan } from './execute-plan.js';
import type { FfmpegStep, GroupPlan } from './plan.js';
import { RenderError } from './render-error.js';
import { StartedStep } from './started-step.js';

/** Concurrent steps: run side by side, the first failure stops the others and is reported. */

let work: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => work.remove());

const silent = { info() {}, warn() {} };

/** An ffmpeg step that makes `seconds` of a tone into a file. */
function tone(name: string, seconds: number, concurrent = true): FfmpegStep {
  return {
    kind: 'ffmpeg',
    description: `make ${name}`,
    args: ['-f', 'lavfi', '-i', `sine=d=${seconds}`, '-f', 'wav', '-y', path.join(work.dir, `${name}.wav`)],
    expectedDurationS: seconds,
    weight: seconds,
    concurrent,
  };
}

function planOf(steps: FfmpegStep[]): GroupPlan {
  return {
    groupIndex: 0,
    strategy: 'test',
    reason: 'test',
    settings: {
      container: 'wav',
      hasVideo: false,
      hasAudio: true,
      width: 2,
      height: 2,
      frameRate: { num: 25, den: 1 },
      sampleRate: 44100,
      videoCodec: 'h264',
      audioCodec: 'pcm',
      quality: 'medium',
      background: 'black',
      durationHns: 10_000_000,
    },
    outputPath: path.join(work.dir, 'out.wav'),
    partialPath: path.join(work.dir, 'partial.wav'),
    tempPaths: [],
    steps,
  };
}

describe('executePlan with concurrent steps', () => {
  it('runs every concurrent step, then the step after them, with progress up to 1', async () => {
    const progress: number[] = [];
    await executePlan(planOf([tone('a', 1), tone('b', 1), tone('c', 1), tone('after', 1, false)]), {
      log: silent,
      inputs: [],
      concurrency: 2,
      onProgress: (p) => progress.push(p),
    });
    for (const name of ['a', 'b', 'c', 'after']) expect((await fs.stat(path.join(work.dir, `${name}.wav`))).size).toBeGreaterThan(40_000);
    expect(progress.at(-1)).toBeCloseTo(1);
  });

  it('stops the other steps when one fails, and reports that failure', async () => {
    const broken: FfmpegStep = { ...tone('broken', 1), args: ['-f', 'lavfi', '-i', 'nosuchsource', '-f', 'wav', '-y', path.join(work.dir, 'broken.wav')] };
    // Read in real time: still running long after the broken step fails, unless it is stopped.
    const long: FfmpegStep = { ...tone('long', 3000), args: ['-re', '-f', 'lavfi', '-i', 'sine=d=3000', '-f', 'null', '-'] };
    const started = performance.now();
    const error = await executePlan(planOf([long, broken, tone('never', 1, false)]), { log: silent, inputs: [], concurrency: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).code).toBe('encode_failed');
    expect((error as RenderError).message).toMatch(/make broken failed/);
    // Not a latency figure: a generous bound that proves the long step (50 minutes) was stopped.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(runningChildCount()).toBe(0);
    await expect(fs.stat(path.join(work.dir, 'never.wav'))).rejects.toThrow();
  });

  it('waits for a step started while planning instead of running it again, and stops it with the others on failure', async () => {
    // Started while planning: in real time, so it still runs when the plan is executed; `-n`
    // refuses to write the file again, so running the step a second time would fail the plan.
    const early: FfmpegStep = { ...tone('early', 1), args: ['-re', '-f', 'lavfi', '-i', 'sine=d=1', '-f', 'wav', '-n', path.join(work.dir, 'early.wav')] };
    const run = new StartedStep(early, { log: silent, inputs: [], groupIndex: 0 });
    const progress: number[] = [];
    await executePlan(
      { ...planOf([early, tone('beside', 1), tone('then', 1, false)]), started: new Map([[early, run]]) },
      { log: silent, inputs: [], concurrency: 2, onProgress: (p) => progress.push(p) },
    );
    expect((await fs.stat(path.join(work.dir, 'early.wav'))).size).toBeGreaterThan(40_000);
    expect(progress.at(-1)).toBeCloseTo(1);

    // A step started while planning fails: the failure is the plan's, with a stable code.
    const brokenEarly: FfmpegStep = { ...tone('broken-early', 1), args: ['-f', 'lavfi', '-i', 'nosuchsource', '-f', 'null', '-'] };
    const failing = new StartedStep(brokenEarly, { log: silent, inputs: [], groupIndex: 0 });
    const long: FfmpegStep = { ...tone('long', 3000), args: ['-re', '-f', 'lavfi', '-i', 'sine=d=3000', '-f', 'null', '-'] };
    const error = await executePlan(
      { ...planOf([brokenEarly, long]), started: new Map([[brokenEarly, failing]]) },
      { log: silent, inputs: [], concurrency: 2 },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as RenderError).code).toBe('encode_failed');
    expect((error as RenderError).message).toMatch(/make broken-early failed/);
    expect(runningChildCount()).toBe(0);
  });

  it('stops a step started while planning when the plan is not executed', async () => {
    const long: FfmpegStep = { ...tone('abandoned', 3000), args: ['-re', '-f', 'lavfi', '-i', 'sine=d=3000', '-f', 'null', '-'] };
    const run = new StartedStep(long, { log: silent, inputs: [], groupIndex: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runningChildCount()).toBe(1);
    await run.cancel();
    expect(runningChildCount()).toBe(0);
  });
});
