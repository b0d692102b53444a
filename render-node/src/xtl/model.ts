import type { Rational } from '../ffmpeg/media-info.js';

/**
 * The typed timeline an XTL document describes. Every time is an integer in 100 ns units
 * (`...Hns`), whatever timeFormat the document used.
 */

export const CONTAINERS = ['mp4', 'mov', 'webm', 'mp3', 'm4a', 'wav'] as const;
export type Container = (typeof CONTAINERS)[number];

export const QUALITIES = ['low', 'medium', 'high', 'lossless'] as const;
export type Quality = (typeof QUALITIES)[number];

export const VIDEO_CODECS = ['h264', 'hevc', 'vp9'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];

export const AUDIO_CODECS = ['aac', 'opus', 'mp3', 'pcm'] as const;
export type AudioCodec = (typeof AUDIO_CODECS)[number];

export const ACCURACIES = ['frame', 'gop'] as const;
export type Accuracy = (typeof ACCURACIES)[number];

/** Transition types: `crossfade` and `fadeblack` are the core; the rest are ffmpeg xfade wipes. */
export const TRANSITION_TYPES = [
  'crossfade',
  'fadeblack',
  'fadewhite',
  'dissolve',
  'wipeleft',
  'wiperight',
  'wipeup',
  'wipedown',
  'slideleft',
  'slideright',
  'slideup',
  'slidedown',
  'circleopen',
  'circleclose',
] as const;
export type TransitionType = (typeof TRANSITION_TYPES)[number];

export const FITS = ['contain', 'cover', 'stretch'] as const;
export type Fit = (typeof FITS)[number];

/** A length on the output picture: pixels, or a percentage of the output's width or height. */
export interface Length {
  value: number;
  unit: 'px' | '%';
}

/** Clip settings from `<param>` (track params apply to each clip, clip params override them). */
export interface ClipParams {
  x?: Length;
  y?: Length;
  width?: Length;
  height?: Length;
  fit: Fit;
  /** 0 (invisible) to 1 (opaque). */
  opacity: number;
  /** Linear gain: 1 leaves the sound as it is. */
  volume: number;
  videoFadeInHns: number;
  videoFadeOutHns: number;
  audioFadeInHns: number;
  audioFadeOutHns: number;
}

export type XtlEffect =
  | { type: 'grayscale'; line: number }
  | { type: 'hflip'; line: number }
  | { type: 'vflip'; line: number }
  | { type: 'blur'; line: number; radius: number }
  | { type: 'color'; line: number; brightness: number; contrast: number; saturation: number; gamma: number }
  | { type: 'text'; line: number; text: string; x: Length; y: Length; sizePx: number; color: string; box: boolean };

export const EFFECT_TYPES = ['grayscale', 'hflip', 'vflip', 'blur', 'color', 'text'] as const;
export type EffectType = XtlEffect['type'];

export interface XtlTransition {
  line: number;
  type: TransitionType;
  /** How long the two clips overlap. */
  durationHns: number;
}

export interface XtlClip {
  line: number;
  /** Media reference as written (a media id, or whatever the source resolver understands). */
  src: string;
  /** Where the clip plays on the group's timeline. */
  timelineStartHns: number;
  timelineStopHns: number;
  /** The part of the source it plays (in and out points). */
  sourceStartHns: number;
  sourceStopHns: number;
  /** true when the clip was placed with mstart/mstop (start/stop were timeline positions). */
  positioned: boolean;
  params: ClipParams;
  effects: XtlEffect[];
  /** The transition from this clip into the next one on the same track. */
  transitionToNext?: XtlTransition;
}

export interface XtlTrack {
  line: number;
  video: boolean;
  audio: boolean;
  /** SolveigMM's text-stream flag: accepted; source subtitle streams are not carried. */
  text: boolean;
  accuracy: Accuracy;
  clips: XtlClip[];
}

export interface XtlGroup {
  line: number;
  /** Index among all groups of the document (the order of outputUrls). */
  index: number;
  /** The `output` attribute: the output's name. */
  output?: string;
  width?: number;
  height?: number;
  frameRate?: Rational;
  sampleRate?: number;
  container?: Container;
  quality: Quality;
  videoCodec?: VideoCodec;
  audioCodec?: AudioCodec;
  /** Colour of the picture where no clip is (ffmpeg colour syntax). */
  background: string;
  tracks: XtlTrack[];
}

export interface XtlDocument {
  version: 2;
  /** The editor's project this document renders (`<timelines projectId>`, an extension), named in render callbacks. */
  projectId?: string;
  /** The groups of every `<timeline>`, in document order: one output each. */
  groups: XtlGroup[];
}

/** Every distinct `src` of a document, in first-use order: what must be resolved before a render. */
export function timelineSources(doc: XtlDocument): string[] {
  const seen = new Set<string>();
  for (const group of doc.groups) for (const track of group.tracks) for (const clip of track.clips) seen.add(clip.src);
  return [...seen];
}
