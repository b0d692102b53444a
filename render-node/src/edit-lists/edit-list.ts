import type { Rational } from '../ffmpeg/media-info.js';

/**
 * What an edit decision list says, whatever its format (CMX 3600, OpenTimelineIO, Final Cut Pro
 * 7 XML): tracks of items placed on the record timeline, in frames of the list's rate, each
 * naming its source the ways the format can (file, clip name, reel) and the source frames it
 * plays. Items on one track may overlap only where the later one has a transition in: the
 * outgoing item then runs on under the transition (its "handle"), as CMX dissolves mean.
 */

export type EditListFormat = 'cmx3600' | 'otio' | 'fcp7xml';

export interface EditList {
  format: EditListFormat;
  title: string;
  /** The rate every frame number of the list counts in. */
  rate: Rational;
  /** Record timecode is drop-frame (FCM: DROP FRAME, `;` in timecodes). */
  dropFrame: boolean;
  /** Record timecode of frame 0 of the items (the list's first record in). */
  startFrame: number;
  tracks: EditTrack[];
  markers: EditMarker[];
  /** What the list holds that cannot be taken as written, one sentence each (named by event). */
  notes: string[];
}

export interface EditTrack {
  kind: 'video' | 'audio';
  /** `V`, `A1`, `A2`... for CMX; `V1`, `V2`, `A1`... for the others. */
  name: string;
  /** In record order. */
  items: EditItem[];
}

export type EditSource =
  /** Black (video) or silence (audio): CMX `BL`, an OTIO gap, an FCP slug. */
  | { kind: 'black' }
  | {
      kind: 'media';
      /** The file's name as the list gives it (`SOURCE FILE`, a media reference's URL, `<file><name>`). */
      fileName?: string;
      /** `FROM CLIP NAME` / the clip's name. */
      clipName?: string;
      reel?: string;
      /**
       * How source frames count: `timecode` from 00:00:00:00 of the source's timecode (CMX, and
       * OTIO without an available range), mapped through the file's start timecode; `media`
       * from the file's first frame.
       */
      base: 'timecode' | 'media';
    };

export interface EditItem {
  /** The event as the list names it (`003`, a clip's name): for messages. */
  event: string;
  /** Record frames from `startFrame`, end exclusive. */
  start: number;
  end: number;
  source: EditSource;
  /**
   * Source frames played, [sourceIn, sourceOut) with sourceIn < sourceOut, in the counting of
   * `source.base`. Forward speed plays them from sourceIn up; reverse from sourceOut - 1 down.
   */
  sourceIn: number;
  sourceOut: number;
  /** Source frames per record frame: 1 normal, 0.5 slow, -1 reverse, 0 a freeze frame. */
  speed: number;
  /** A transition from the item before on this track, lasting `frames` from this item's start. */
  transitionIn?: EditTransition;
}

export interface EditTransition {
  type: 'dissolve' | 'wipe';
  frames: number;
  /** SMPTE wipe number of a CMX `W001`. */
  wipeCode?: number;
}

export interface EditMarker {
  /** Record frame from `startFrame`. */
  frame: number;
  color: string;
  text: string;
}

/** Source frames an item of `length` record frames plays at `speed` from a start frame. */
export function sourceSpan(speed: number, length: number): number {
  if (speed === 0) return 1;
  return Math.max(1, Math.round(Math.abs(speed) * length));
}

/**
 * The source range of an item whose first played source frame is `entry`: forward from it, or
 * (reverse) down from it.
 */
export function sourceRange(entry: number, speed: number, length: number): { sourceIn: number; sourceOut: number } {
  const span = sourceSpan(speed, length);
  return speed < 0 ? { sourceIn: entry - span + 1, sourceOut: entry + 1 } : { sourceIn: entry, sourceOut: entry + span };
}

/** Runs an item `frames` longer at its end (its source too): the handle under a transition out. */
export function extendItem(item: EditItem, frames: number): void {
  item.end += frames;
  if (item.source.kind !== 'media') return;
  const range =
    item.speed < 0 ? sourceRange(item.sourceOut - 1, item.speed, item.end - item.start) : sourceRange(item.sourceIn, item.speed, item.end - item.start);
  item.sourceIn = range.sourceIn;
  item.sourceOut = range.sourceOut;
}

/** Starts an item `frames` earlier (its source too): the handle under a transition in. */
export function startEarlier(item: EditItem, frames: number): void {
  item.start -= frames;
  if (item.source.kind !== 'media') return;
  const span = sourceSpan(item.speed, item.end - item.start);
  if (item.speed < 0) item.sourceOut = item.sourceIn + span;
  else item.sourceIn = item.sourceOut - span;
}
