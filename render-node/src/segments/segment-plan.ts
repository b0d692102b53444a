import type { Rational } from '../ffmpeg/media-info.js';
import type { XtlClip, XtlDocument, XtlGroup, XtlTrack } from '../xtl/model.js';
import type { OutputSettings } from '../engine/output-settings.js';
import type { PlanContext } from '../engine/plan.js';
import { silentLog } from '../engine/render-log.js';
import type { ResolvedSources } from '../engine/sources.js';
import { smartCut } from '../engine/smart-cut/smart-cut.js';
import { frameAt, HNS } from '../engine/timing.js';

/**
 * Segmented renders: a long timeline's picture is cut into windows of output frames that
 * separate render nodes encode side by side, each from a keyframe (every window is its own
 * encode, so its own closed GOPs), to be joined by stream copy. The sound is rendered once for
 * the whole timeline and muxed at the join: no boundary in it, no AAC priming to hide.
 *
 * A cut frame is chosen only where rendering the two sides apart gives exactly the frames the
 * whole render gives: outside every transition and picture fade, and through clips whose frames
 * map one to one onto the output's (a source at the output's frame rate, at normal speed, or a
 * still image). Windows are cut from the XTL model itself (`sliceGroup`): the engine renders a
 * window as it renders any timeline.
 */

export interface SegmentOptions {
  /** Target length of one segment; 0 turns segmenting off. */
  segmentSeconds: number;
  /** Timelines shorter than this render whole. */
  minTimelineSeconds: number;
  /**
   * The sources are estimates (no frame rates): answer only whether the timeline is of a kind
   * and length worth splitting, before probing them.
   */
  estimate?: boolean;
}

/** Output frames [startFrame, endFrame) of a group. */
export interface SegmentWindow {
  startFrame: number;
  endFrame: number;
}

export type SegmentDecision = { segmented: true; windows: SegmentWindow[]; reason: string } | { segmented: false; reason: string };

const SEGMENTABLE_CODECS = ['h264', 'hevc'];
const SEGMENTABLE_CONTAINERS = ['mp4', 'mov'];

/** Whether and where to split a document's render (`settings`: its groups' output settings). */
export function planSegments(doc: XtlDocument, sources: ResolvedSources, settings: OutputSettings[], options: SegmentOptions): SegmentDecision {
  const whole = (reason: string): SegmentDecision => ({ segmented: false, reason });
  if (options.segmentSeconds <= 0) return whole('segmented renders are off');
  if (doc.groups.length !== 1) return whole('the document has several groups');
  const group = doc.groups[0]!;
  const output = settings[0]!;
  if (!output.hasVideo) return whole('the output has no picture');
  if (!SEGMENTABLE_CODECS.includes(output.videoCodec) || !SEGMENTABLE_CONTAINERS.includes(output.container)) {
    return whole(`${output.videoCodec} in ${output.container} is not joined by stream copy`);
  }
  const rate = output.frameRate;
  const totalFrames = frameAt(output.durationHns, rate);
  const seconds = (frames: number) => (frames * rate.den) / rate.num;
  if (seconds(totalFrames) < Math.max(options.minTimelineSeconds, 2 * options.segmentSeconds)) return whole('the timeline is short');
  if (group.tracks.some((t) => t.accuracy === 'gop')) return whole('accuracy="gop" asks for a stream copy');
  const context = {
    group,
    sources,
    settings: output,
    workDir: '',
    outputPath: '',
    partialPath: '',
    gpu: false,
    encoders: new Set<string>(),
    mayStartSteps: false,
    log: silentLog,
  } as PlanContext;
  if (smartCut.consider(context).ok) return whole('smart cutting copies most of it');
  if (options.estimate) return { segmented: true, windows: [], reason: 'worth a closer look' };

  const target = Math.max(1, Math.round((options.segmentSeconds * rate.num) / rate.den));
  const cuts: number[] = [];
  let previous = 0;
  for (;;) {
    const wanted = previous + target;
    // The last segment takes the rest when less than half a segment would be left after it.
    if (totalFrames - wanted < target / 2) break;
    const cut = nearestCut(group, sources, rate, wanted, previous + Math.ceil(target / 2), totalFrames - Math.ceil(target / 2));
    if (cut === undefined) break;
    cuts.push(cut);
    previous = cut;
  }
  if (cuts.length === 0) return whole('no frame could be cut apart exactly');
  const bounds = [0, ...cuts, totalFrames];
  const windows = bounds.slice(1).map((endFrame, i) => ({ startFrame: bounds[i]!, endFrame }));
  return { segmented: true, windows, reason: `${windows.length} segments of about ${options.segmentSeconds} s` };
}

/** The allowed cut frame nearest `wanted` within [low, high]. */
function nearestCut(group: XtlGroup, sources: ResolvedSources, rate: Rational, wanted: number, low: number, high: number): number | undefined {
  for (let distance = 0; wanted - distance >= low || wanted + distance <= high; distance++) {
    for (const frame of [wanted - distance, wanted + distance]) {
      if (frame >= low && frame <= high && frame > 0 && cutAllowed(group, sources, rate, frame)) return frame;
    }
  }
  return undefined;
}

/** Whether the group can be rendered as [.., frame) and [frame, ..) with the frames of the whole render. */
export function cutAllowed(group: XtlGroup, sources: ResolvedSources, rate: Rational, frame: number): boolean {
  let covered = false;
  for (const track of group.tracks) {
    for (const [i, clip] of track.clips.entries()) {
      const start = frameAt(clip.timelineStartHns, rate);
      const end = frameAt(clip.timelineStopHns, rate);
      const next = track.clips[i + 1];
      // Inside a transition (from the next clip's first frame to this one's last): never.
      if (track.video && clip.transitionToNext && next && frame >= frameAt(next.timelineStartHns, rate) && frame < end) return false;
      if (!(start < frame && frame < end)) continue;
      covered = true;
      if (!track.video) continue;
      const probe = sources.get(clip.src)?.probe;
      if (!probe) return false;
      if (!probe.hasVideo) continue;
      if (probe.kind === 'video') {
        const sourceRate = probe.frameRate;
        if (!sourceRate || sourceRate.num * rate.den !== rate.num * sourceRate.den) return false;
        if (clip.positioned && clip.sourceStopHns - clip.sourceStartHns !== clip.timelineStopHns - clip.timelineStartHns) return false;
      }
      const framesOf = (hns: number) => Math.ceil((hns * rate.num) / (rate.den * HNS));
      if (frame - start < framesOf(clip.params.videoFadeInHns) || end - frame < framesOf(clip.params.videoFadeOutHns)) return false;
    }
  }
  // Some clip must run through the cut, so the window before it lasts to the cut exactly.
  return covered;
}

/** Time in 100 ns units of an output frame (not rounded: frame arithmetic on it stays exact). */
export function frameHns(frame: number, rate: Rational): number {
  return (frame * HNS * rate.den) / rate.num;
}

/**
 * The group's picture for output frames [startFrame, endFrame), as a group of its own starting
 * at time 0, with `settings` pinned (size, rates, codecs), without sound. Clips running through
 * a cut are shortened on the source frames the whole render would show; every video track keeps
 * a clip (of no length, where none falls in the window) so the layers stack as in the whole.
 */
export function sliceGroup(group: XtlGroup, window: SegmentWindow, sources: ResolvedSources, settings: OutputSettings): XtlGroup {
  const rate = settings.frameRate;
  const offsetHns = frameHns(window.startFrame, rate);
  const tracks: XtlTrack[] = group.tracks.map((track) => {
    const clips: XtlClip[] = [];
    for (const clip of track.clips) {
      const sliced = sliceClip(clip, window, offsetHns, sources, rate);
      if (sliced) clips.push(sliced);
    }
    const representative =
      track.clips.find((c) => c.params.opacity < 1 && sources.get(c.src)?.probe.hasVideo) ?? track.clips.find((c) => sources.get(c.src)?.probe.hasVideo);
    if (track.video && representative) {
      // Of no length: renders nothing, but keeps the track a layer, and the bottom one's opacity rule.
      clips.unshift({
        ...representative,
        timelineStartHns: 0,
        timelineStopHns: 0,
        sourceStopHns: representative.sourceStartHns,
        positioned: false,
        effects: [],
        transitionToNext: undefined,
        params: { ...representative.params, videoFadeInHns: 0, videoFadeOutHns: 0, audioFadeInHns: 0, audioFadeOutHns: 0 },
      });
    }
    return { ...track, audio: false, clips };
  });
  return pinSettings({ ...group, tracks }, settings);
}

/** The whole group with only its sound (rendered once for a segmented render), settings pinned. */
export function soundOfGroup(group: XtlGroup, settings: OutputSettings): XtlGroup {
  return pinSettings({ ...group, tracks: group.tracks.map((t) => ({ ...t, video: false })) }, { ...settings, container: audioContainerFor(settings) });
}

/** Where the sound of a segmented render is kept until the join (a container of the output's audio codec). */
export function audioContainerFor(settings: OutputSettings): OutputSettings['container'] {
  switch (settings.audioCodec) {
    case 'aac':
      return 'm4a';
    case 'mp3':
      return 'mp3';
    case 'pcm':
      return 'wav';
    case 'opus':
      return 'webm';
  }
}

function pinSettings(group: XtlGroup, settings: OutputSettings): XtlGroup {
  return {
    ...group,
    width: settings.width,
    height: settings.height,
    frameRate: settings.frameRate,
    sampleRate: settings.sampleRate,
    container: settings.container,
    videoCodec: settings.videoCodec,
    audioCodec: settings.audioCodec,
    quality: settings.quality,
    background: settings.background,
  };
}

function sliceClip(clip: XtlClip, window: SegmentWindow, offsetHns: number, sources: ResolvedSources, rate: Rational): XtlClip | undefined {
  const start = frameAt(clip.timelineStartHns, rate);
  const end = frameAt(clip.timelineStopHns, rate);
  if (end <= window.startFrame || start >= window.endFrame || end <= start) return undefined;
  const cutStart = start < window.startFrame;
  const cutEnd = end > window.endFrame;
  // A clip at normal speed stays so exactly (its lengths, moved by a fraction of 100 ns, may not
  // subtract to the same number again).
  const normalSpeed = !clip.positioned || clip.sourceStopHns - clip.sourceStartHns === clip.timelineStopHns - clip.timelineStartHns;
  if (!cutStart && !cutEnd) {
    return {
      ...clip,
      timelineStartHns: clip.timelineStartHns - offsetHns,
      timelineStopHns: clip.timelineStopHns - offsetHns,
      positioned: clip.positioned && !normalSpeed,
    };
  }
  const probe = sources.get(clip.src)!.probe;
  // Source times of whole output frames counted from the clip's first: on the source's own frame
  // grid as the engine snaps it (cuts go only through clips at the output's rate).
  let sourceAt = (framesIn: number) => clip.sourceStartHns + frameHns(framesIn, rate);
  if (probe.kind === 'video' && probe.frameRate) {
    const { num, den } = probe.frameRate;
    const origin = probe.videoStartHns ?? 0;
    const inFrame = Math.max(0, Math.round(((clip.sourceStartHns - origin) * num) / (den * HNS)));
    sourceAt = (framesIn: number) => origin + ((inFrame + framesIn) * den * HNS) / num;
  }
  const first = Math.max(start, window.startFrame);
  const last = Math.min(end, window.endFrame);
  return {
    ...clip,
    timelineStartHns: cutStart ? 0 : clip.timelineStartHns - offsetHns,
    timelineStopHns: cutEnd ? frameHns(window.endFrame, rate) - offsetHns : clip.timelineStopHns - offsetHns,
    sourceStartHns: cutStart ? sourceAt(first - start) : clip.sourceStartHns,
    sourceStopHns: cutEnd ? sourceAt(last - start) : clip.sourceStopHns,
    positioned: false,
    transitionToNext: cutEnd ? undefined : clip.transitionToNext,
    params: {
      ...clip.params,
      videoFadeInHns: cutStart ? 0 : clip.params.videoFadeInHns,
      videoFadeOutHns: cutEnd ? 0 : clip.params.videoFadeOutHns,
    },
  };
}
