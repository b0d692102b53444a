import type { MediaInfo } from '../ffmpeg/media-info.js';
import type { XtlClip } from '../xtl/model.js';
import { formatHns } from '../xtl/time-format.js';
import type { OutputSettings } from './output-settings.js';
import { RenderError } from './render-error.js';
import { frameAt, HNS, sampleAt } from './timing.js';

/**
 * A clip on the output's grids: which output frames and samples it fills, and which part of its
 * source feeds them. In and out points snap to the source's nearest frame boundary, so every
 * cut lands on the exact frame the timeline names; sound is cut at the same instants.
 */
export interface ClipWindow {
  clip: XtlClip;
  startFrame: number;
  endFrame: number;
  startSample: number;
  endSample: number;
  /** Source in and out points in seconds from the start of the source (frame boundaries for video). */
  inS: number;
  outS: number;
  /** Seconds of source per second of timeline (2: twice as fast). */
  speed: number;
  /** Half a source frame in seconds: cuts are made half a frame early, between frames. */
  halfFrameS: number;
}

/** How far a clip may run past its source's reported end (rounding in container durations). */
const END_TOLERANCE_HNS = 1_000_000;

export function clipWindow(clip: XtlClip, probe: MediaInfo, settings: OutputSettings): ClipWindow {
  if (probe.durationHns !== undefined && clip.sourceStopHns > probe.durationHns + END_TOLERANCE_HNS) {
    throw new RenderError(
      'bad_timeline',
      `clip at line ${clip.line} ends at ${formatHns(clip.sourceStopHns)} of source "${clip.src}", which lasts ${formatHns(probe.durationHns)}`,
    );
  }
  let inS = clip.sourceStartHns / HNS;
  let outS = clip.sourceStopHns / HNS;
  let halfFrameS = 0;
  if (probe.kind === 'video' && probe.frameRate) {
    // Frame n shows from the picture's start plus n frames (times count from the file's start).
    const { num, den } = probe.frameRate;
    const offsetHns = probe.videoStartHns ?? 0;
    const inFrame = Math.max(0, Math.round(((clip.sourceStartHns - offsetHns) * num) / (den * HNS)));
    const outFrame = Math.max(inFrame + 1, Math.round(((clip.sourceStopHns - offsetHns) * num) / (den * HNS)));
    inS = offsetHns / HNS + (inFrame * den) / num;
    outS = offsetHns / HNS + (outFrame * den) / num;
    halfFrameS = den / num / 2;
  }
  const speed = clip.positioned ? (clip.sourceStopHns - clip.sourceStartHns) / (clip.timelineStopHns - clip.timelineStartHns) : 1;
  return {
    clip,
    startFrame: frameAt(clip.timelineStartHns, settings.frameRate),
    endFrame: frameAt(clip.timelineStopHns, settings.frameRate),
    startSample: sampleAt(clip.timelineStartHns, settings.sampleRate),
    endSample: sampleAt(clip.timelineStopHns, settings.sampleRate),
    inS,
    outS,
    speed,
    halfFrameS,
  };
}
