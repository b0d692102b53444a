import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultBinaries } from '../ffmpeg/binaries.js';
import { checkFfmpegRemembered } from '../ffmpeg/remembered-check.js';
import { FfmpegUnavailableError } from '../ffmpeg/errors.js';
import type { XtlDocument } from '../xtl/model.js';
import { chooseStrategy, STRATEGIES } from './choose-strategy.js';
import { executePlan } from './execute-plan.js';
import { CONTAINER_EXTENSIONS, CONTAINER_MIME_TYPES, decideOutputSettings, type OutputSettings } from './output-settings.js';
import type { GroupPlan, PlanContext, RenderStrategy, RenderTimings } from './plan.js';
import { performance } from 'node:perf_hooks';
import { RenderError } from './render-error.js';
import { silentLog, type RenderLog } from './render-log.js';
import { resolveSources, type ResolvedSources, type SourceResolver } from './sources.js';

export interface PlanOptions {
  /** Where outputs (`output-<group>.<ext>`) and temporary files go; must exist. */
  workDir: string;
  /** Encode with NVENC where the codec allows, falling back to software if it fails. */
  gpu?: boolean;
  signal?: AbortSignal;
  log?: RenderLog;
  /** Executable to run; FFMPEG_PATH / PATH by default. */
  ffmpegPath?: string;
  /** Strategies in order of preference (the default list ends with the full render). */
  strategies?: readonly RenderStrategy[];
  /** The plans will be executed: strategies may start steps while planning (renderTimeline does). */
  mayStartSteps?: boolean;
}

export interface RenderTimelineOptions extends PlanOptions {
  timeline: XtlDocument;
  resolveSource: SourceResolver;
  /** Overall progress from 0 to 1, never going back. */
  onProgress?: (fraction: number) => void;
}

export interface RenderedOutput {
  groupIndex: number;
  /** The group's `output` attribute, or a name made from the group index. */
  name: string;
  path: string;
  container: OutputSettings['container'];
  mimeType: string;
  sizeBytes: number;
  durationHns: number;
  strategy: string;
}

export interface RenderResult {
  outputs: RenderedOutput[];
  plans: GroupPlan[];
  /** Where the render's wall time went (planning, GOP scan, encodes, join). */
  timings: RenderTimings;
}

const encodersOf = new Map<string, Promise<ReadonlySet<string>>>();

async function encoders(ffmpegPath: string | undefined): Promise<ReadonlySet<string>> {
  const binaries = { ...defaultBinaries(), ...(ffmpegPath ? { ffmpeg: ffmpegPath } : {}) };
  let known = encodersOf.get(binaries.ffmpeg);
  if (!known) {
    known = checkFfmpegRemembered(binaries).then((installation) => installation.encoders);
    encodersOf.set(binaries.ffmpeg, known);
    known.catch(() => encodersOf.delete(binaries.ffmpeg));
  }
  try {
    return await known;
  } catch (error) {
    if (error instanceof FfmpegUnavailableError) throw new RenderError('ffmpeg_unavailable', error.message, { cause: error });
    throw error;
  }
}

/** Plans every group of a timeline whose sources are resolved: what would run, and why. */
export async function planTimeline(timeline: XtlDocument, sources: ResolvedSources, options: PlanOptions): Promise<GroupPlan[]> {
  const log = options.log ?? silentLog;
  const known = options.gpu ? await encoders(options.ffmpegPath) : new Set<string>();
  const plans: GroupPlan[] = [];
  for (const group of timeline.groups) {
    const settings = decideOutputSettings(group, sources);
    const extension = CONTAINER_EXTENSIONS[settings.container];
    const context: PlanContext = {
      group,
      sources,
      settings,
      workDir: options.workDir,
      outputPath: path.join(options.workDir, `output-${group.index}.${extension}`),
      partialPath: path.join(options.workDir, `.partial-output-${group.index}.${extension}`),
      gpu: options.gpu ?? false,
      encoders: known,
      signal: options.signal,
      log,
      ffmpegPath: options.ffmpegPath,
      mayStartSteps: options.mayStartSteps ?? false,
    };
    const choice = chooseStrategy(context, options.strategies ?? STRATEGIES);
    let plan: GroupPlan;
    try {
      plan = await choice.strategy.plan(context);
    } catch (error) {
      await stopStartedSteps(plans);
      throw error;
    }
    if (choice.passedOver.length > 0) plan.reason = `${choice.passedOver.join('; ')}; ${plan.reason}`;
    log.info({ groupIndex: group.index, strategy: plan.strategy, reason: plan.reason }, `group ${group.index}: ${plan.strategy} (${plan.reason})`);
    plans.push(plan);
  }
  return plans;
}

/** Stops what plans that will not run had started, and waits until it has stopped. */
async function stopStartedSteps(plans: readonly GroupPlan[]): Promise<void> {
  await Promise.all(plans.flatMap((plan) => [...(plan.started?.values() ?? [])].map((step) => step.cancel())));
}

async function removeQuietly(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => {});
}

/**
 * Renders every group of a timeline to one local file each. Sources are resolved first (all of
 * them, before anything runs); on failure or abort every file this render made is removed and a
 * RenderError with a stable code is thrown.
 */
export async function renderTimeline(options: RenderTimelineOptions): Promise<RenderResult> {
  const log = options.log ?? silentLog;
  const { signal } = options;
  let reported = 0;
  const progress = (fraction: number) => {
    const clamped = Math.min(1, Math.max(reported, fraction));
    if (clamped > reported || (clamped === 1 && reported < 1)) {
      reported = clamped;
      options.onProgress?.(clamped);
    }
  };
  const made: string[] = [];
  const temporary: string[] = [];
  let plans: GroupPlan[] = [];
  try {
    await fs.mkdir(options.workDir, { recursive: true }).catch((error: Error) => {
      throw new RenderError('output_failed', `work directory ${options.workDir} cannot be used: ${error.message}`, { cause: error });
    });
    const sources = await resolveSources(options.timeline, options.resolveSource, signal);
    const planStartedMs = performance.now();
    plans = await planTimeline(options.timeline, sources, { ...options, log, mayStartSteps: true });
    // Every plan's files, now: a later group's steps may run already.
    for (const plan of plans) temporary.push(...plan.tempPaths, plan.partialPath);
    const timings: RenderTimings = {
      planMs: performance.now() - planStartedMs,
      probeMs: 0,
      gopScanMs: 0,
      encodeMs: 0,
      joinMs: 0,
      partMs: { encode: 0, copy: 0, sound: 0 },
    };
    for (const plan of plans) {
      timings.probeMs += plan.planTimings?.probeMs ?? 0;
      timings.gopScanMs += plan.planTimings?.gopScanMs ?? 0;
    }
    const inputs = [...sources.values()].map((s) => s.input);
    const totalWeight = plans.reduce((sum, plan) => sum + plan.steps.reduce((w, s) => w + (s.kind === 'ffmpeg' ? s.weight : 0), 0), 0) || 1;
    let doneWeight = 0;
    const outputs: RenderedOutput[] = [];
    for (const plan of plans) {
      const planWeight = plan.steps.reduce((w, s) => w + (s.kind === 'ffmpeg' ? s.weight : 0), 0);
      await executePlan(plan, {
        signal,
        log,
        ffmpegPath: options.ffmpegPath,
        inputs,
        timings,
        onProgress: (fraction) => progress((doneWeight + fraction * planWeight) / totalWeight),
      });
      if (signal?.aborted) throw new RenderError('aborted', 'the render was aborted');
      made.push(plan.outputPath);
      await fs.rename(plan.partialPath, plan.outputPath);
      doneWeight += planWeight;
      const group = options.timeline.groups[plan.groupIndex]!;
      const { size } = await fs.stat(plan.outputPath);
      outputs.push({
        groupIndex: plan.groupIndex,
        name: group.output ?? `output-${plan.groupIndex}.${CONTAINER_EXTENSIONS[plan.settings.container]}`,
        path: plan.outputPath,
        container: plan.settings.container,
        mimeType: CONTAINER_MIME_TYPES[plan.settings.container],
        sizeBytes: size,
        durationHns: plan.settings.durationHns,
        strategy: plan.strategy,
      });
      log.info({ groupIndex: plan.groupIndex, sizeBytes: size }, `group ${plan.groupIndex} rendered`);
    }
    progress(1);
    return { outputs, plans, timings };
  } catch (error) {
    await stopStartedSteps(plans);
    await Promise.all(made.map(removeQuietly));
    if (signal?.aborted && !(error instanceof RenderError && error.code === 'aborted')) {
      throw new RenderError('aborted', 'the render was aborted', { cause: error });
    }
    throw error instanceof RenderError ? error : new RenderError('encode_failed', (error as Error).message, { cause: error });
  } finally {
    await Promise.all(temporary.map(removeQuietly));
  }
}
