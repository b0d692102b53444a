/**
 * The editor's timeline, as the console keeps it (and saves it as a project's `data`): a main
 * track of clips played one after another, with a transition before any clip but the first; an
 * overlay track laid over it (media placed anywhere, and text rendered to overlay images); and
 * sound clips mixed under it. Times are 100 ns units, like the rest of the API.
 */

export const TRANSITION_TYPES = ['crossfade', 'fadeblack', 'fadewhite', 'dissolve', 'wipeleft', 'wiperight', 'slideleft', 'slideright', 'circleopen'] as const;
export type TransitionType = (typeof TRANSITION_TYPES)[number];

export interface MediaRef {
  mediaId: string;
  name: string;
  mediaType: 'video' | 'audio' | 'image';
  /** The source's length (0 when unknown, and for images). */
  durationHns: number;
  /** The picture's size in pixels (0 for sound). */
  width: number;
  height: number;
}

export interface MainClip extends MediaRef {
  id: string;
  inHns: number;
  outHns: number;
  /** The transition from the previous clip into this one. */
  transition: { type: TransitionType; durationHns: number } | null;
}

/** Where an overlay sits, in percent of the output frame. */
export interface OverlayBox {
  xPct: number;
  yPct: number;
  widthPct: number;
}

export interface MediaOverlay extends MediaRef {
  id: string;
  kind: 'media';
  startHns: number;
  inHns: number;
  outHns: number;
  box: OverlayBox;
}

export interface TextStyle {
  text: string;
  color: string;
  background: string;
  /** Font size as a percent of the frame's height. */
  sizePct: number;
  /** Where the text's box starts, in percent of the frame. */
  xPct: number;
  yPct: number;
}

export interface TextOverlay {
  id: string;
  kind: 'text';
  startHns: number;
  durationHns: number;
  style: TextStyle;
  /** The overlay image last rendered from `style` (they are deleted after the user leaves: rendered again before a render). */
  overlayId: string | null;
}

export type Overlay = MediaOverlay | TextOverlay;

export interface SoundClip extends MediaRef {
  id: string;
  /** Music from the audio library, a voiceover recording, or any sound of the library. */
  origin: 'library' | 'audiolib' | 'voiceover';
  startHns: number;
  inHns: number;
  outHns: number;
  volume: number;
}

export interface OutputSettings {
  name: string;
  container: 'mp4' | 'webm';
  width: number;
  height: number;
}

export interface Timeline {
  version: 1;
  main: MainClip[];
  overlays: Overlay[];
  sound: SoundClip[];
  output: OutputSettings;
}

export function emptyTimeline(): Timeline {
  return { version: 1, main: [], overlays: [], sound: [], output: { name: 'cut.mp4', container: 'mp4', width: 0, height: 0 } };
}

let counter = 0;
export function newClipId(): string {
  counter += 1;
  return `c${Date.now().toString(36)}${counter}`;
}

/** Where each main clip starts on the timeline, transitions overlapping neighbours. */
export function mainClipStarts(main: MainClip[]): number[] {
  const starts: number[] = [];
  let end = 0;
  for (const [i, clip] of main.entries()) {
    const overlap = i > 0 && clip.transition ? clip.transition.durationHns : 0;
    const start = Math.max(0, end - overlap);
    starts.push(start);
    end = start + (clip.outHns - clip.inHns);
  }
  return starts;
}

/** The output's length: the end of the last clip on any track. */
export function timelineDurationHns(timeline: Timeline): number {
  const starts = mainClipStarts(timeline.main);
  const ends = timeline.main.map((clip, i) => starts[i]! + clip.outHns - clip.inHns);
  for (const overlay of timeline.overlays) {
    ends.push(overlay.startHns + (overlay.kind === 'text' ? overlay.durationHns : overlay.outHns - overlay.inHns));
  }
  for (const sound of timeline.sound) ends.push(sound.startHns + sound.outHns - sound.inHns);
  return Math.max(0, ...ends);
}

/** What stops the timeline from rendering, in words; empty when it can render. */
export function timelineProblems(timeline: Timeline): string[] {
  const problems: string[] = [];
  if (timeline.main.length === 0 && timeline.overlays.length === 0 && timeline.sound.length === 0) problems.push('the timeline is empty');
  for (const [i, clip] of timeline.main.entries()) {
    const label = `clip ${i + 1} (${clip.name})`;
    if (clip.outHns <= clip.inHns) problems.push(`${label}: the out point must be after the in point`);
    if (clip.durationHns > 0 && clip.outHns > clip.durationHns + 1_000_000) problems.push(`${label}: the out point is past the end of the source`);
    if (clip.transition) {
      if (i === 0) problems.push(`${label}: the first clip cannot have a transition`);
      const previous = timeline.main[i - 1];
      const longest = Math.min(clip.outHns - clip.inHns, previous ? previous.outHns - previous.inHns : 0);
      if (clip.transition.durationHns <= 0 || clip.transition.durationHns > longest) {
        problems.push(`${label}: the transition must last more than 0 and no longer than either clip`);
      }
    }
  }
  for (const overlay of timeline.overlays) {
    if (overlay.kind === 'media' && overlay.outHns <= overlay.inHns) problems.push(`overlay ${overlay.name}: the out point must be after the in point`);
    if (overlay.kind === 'text' && overlay.durationHns <= 0) problems.push('a text overlay must last more than 0');
    if (overlay.kind === 'text' && overlay.style.text.trim() === '') problems.push('a text overlay has no text');
  }
  return problems;
}
