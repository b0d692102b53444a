import type { OutputSettings } from '../engine/output-settings.js';
import type { RenderOutputSpec, RenderSourceSpec } from '../render-task/render-spec.js';
import type { SegmentWindow } from './segment-plan.js';

/**
 * The work orders of a segmented render, both of the `render` kind (any dispatcher runs them as
 * it runs a whole render). A `segment` order renders one part: the picture of a window of output
 * frames, or the sound of the whole timeline. The `join` order (the render task itself, once all
 * its parts are stored) copies the parts into the output and delivers it as a whole render does.
 */

export interface SegmentTaskSpec {
  xtl: string;
  sources: Record<string, RenderSourceSpec>;
  segment: {
    groupIndex: number;
    /** `picture`: frames [window.startFrame, window.endFrame) without sound; `sound`: the whole timeline's sound. */
    part: 'picture' | 'sound';
    window?: SegmentWindow;
    /** The whole output's settings: every part is encoded with them. */
    settings: OutputSettings;
    /** Signed PUT for the part, into the control plane's store. */
    putUrl: string;
    contentType: string;
  };
}

export interface SegmentTaskResult {
  part: 'picture' | 'sound';
  sizeBytes: number;
  /** Frames of picture rendered (0 for the sound). */
  frames: number;
}

export interface JoinTaskSpec {
  join: {
    groupIndex: number;
    settings: OutputSettings;
    /** Signed GETs of the picture parts, in order. */
    pictures: string[];
    /** Signed GET of the sound, when the output has sound. */
    sound?: string;
  };
  outputs: RenderOutputSpec[];
}

export function isSegmentSpec(spec: unknown): spec is SegmentTaskSpec {
  return typeof spec === 'object' && spec !== null && 'segment' in spec;
}

export function isJoinSpec(spec: unknown): spec is JoinTaskSpec {
  return typeof spec === 'object' && spec !== null && 'join' in spec;
}
