import type { XtlGroup } from '../xtl/model.js';
import type { OutputSettings } from './output-settings.js';
import type { ResolvedSources } from './sources.js';
import type { RenderLog } from './render-log.js';
import type { StartedStep } from './started-step.js';

/**
 * How one group becomes one file: a named strategy and the steps it takes. Strategies are
 * interchangeable per group, so a faster one (smart cutting) can take the groups it can do.
 */

export interface FfmpegStep {
  kind: 'ffmpeg';
  description: string;
  args: string[];
  /** Duration of what this step writes, for progress. */
  expectedDurationS: number;
  /** Share of the render's work, relative to other steps (about: seconds of output × cost). */
  weight: number;
  /** Run instead when this step fails (a GPU encoder that cannot start, say), and why. */
  fallback?: { reason: string; args: string[] };
  /**
   * Independent of the neighbouring steps that are concurrent too: they may run at the same
   * time (a few at once), and the next step that is not concurrent waits for all of them.
   */
  concurrent?: boolean;
  /**
   * What the step's wall time counts as in the render's timings: `encode` (the default: encodes,
   * copies, the sound) or `join` (the final pass that puts pieces together).
   */
  phase?: 'encode' | 'join';
  /**
   * What an `encode`-phase step does, for the render's timings: re-encoding pictures, copying
   * packets, or rendering the sound. Unset for a step that does all at once (the full render).
   */
  part?: StepPart;
}

export type StepPart = 'encode' | 'copy' | 'sound';

export interface WriteFileStep {
  kind: 'write-file';
  description: string;
  path: string;
  contents: string;
}

export type PlanStep = FfmpegStep | WriteFileStep;

export interface GroupPlan {
  groupIndex: number;
  /** `full-render`, `stream-copy`, ... */
  strategy: string;
  /** Why this strategy was chosen (for the task's log). */
  reason: string;
  settings: OutputSettings;
  /** Where the finished file is. Steps write to `partialPath`; it is renamed when they succeed. */
  outputPath: string;
  partialPath: string;
  /** Files the steps make that are removed afterwards. */
  tempPaths: string[];
  steps: PlanStep[];
  /**
   * Steps of `steps` the strategy already started while planning, because they needed nothing
   * the rest of the planning found out; executing the plan waits for them in their place.
   */
  started?: ReadonlyMap<FfmpegStep, StartedStep>;
  /** Time the planning spent reading the sources (smart cut: codec probe and GOP scan), in ms. */
  planTimings?: { probeMs: number; gopScanMs: number };
}

/** Where a render's wall time went, in milliseconds (summed over its groups). */
export interface RenderTimings {
  /** Planning in all: strategy choice, probes, GOP scans. */
  planMs: number;
  /** Of which reading codec parameters (ffprobe) for smart cuts. */
  probeMs: number;
  /** Of which scanning the GOPs around the cut points. */
  gopScanMs: number;
  /** Encoding: partial GOPs, copies of whole GOPs, the sound, or the whole full render. */
  encodeMs: number;
  /** Joining the pieces into the output. */
  joinMs: number;
  /**
   * The encode phase by what its steps do: the wall time of each kind of step, summed over its
   * steps (steps run side by side, so the parts add up to more than the phase).
   */
  partMs: Record<StepPart, number>;
}

export interface PlanContext {
  group: XtlGroup;
  sources: ResolvedSources;
  settings: OutputSettings;
  workDir: string;
  outputPath: string;
  partialPath: string;
  gpu: boolean;
  /** Encoders this ffmpeg has (to skip a GPU encoder that is not built in). */
  encoders: ReadonlySet<string>;
  signal?: AbortSignal;
  log: RenderLog;
  /** ffmpeg to run while planning (a strategy that reads its sources first); FFMPEG_PATH / PATH by default. */
  ffmpegPath?: string;
  /**
   * The plan will be executed: a strategy may start steps that need nothing more while it
   * plans the rest (GroupPlan.started). False when only the plan is wanted.
   */
  mayStartSteps: boolean;
}

/**
 * `notable`: the group was this strategy's kind of work but something stopped it, and the task's
 * log says what (a faster strategy passed over for a reason the user can act on).
 */
export type Eligibility = { ok: true; reason: string } | { ok: false; reason: string; notable?: boolean };

export interface RenderStrategy {
  name: string;
  /** Whether this strategy can render the group, and why (or why not). */
  consider(context: PlanContext): Eligibility;
  plan(context: PlanContext): Promise<GroupPlan>;
}
