import type { EditListFormat, EditMarker } from './edit-list.js';

/**
 * The timeline an imported project's `data` holds (docs/timeline.md): tracks of items placed in
 * frames of `fps`, clips naming a media id with in and out points in the same frames (counted
 * from the file's first frame), transitions, speed, black and the gaps left where media were
 * missing. `GET /api/projects/<id>/xtl` turns it into the XTL that renders it.
 */

export const TIMELINE_FORMAT = 'cutroom-timeline';
export const TIMELINE_VERSION = 1;

export interface Timeline {
  format: typeof TIMELINE_FORMAT;
  version: typeof TIMELINE_VERSION;
  name: string;
  /** Frames a second: `25`, `30000/1001`. Every frame number below counts in it. */
  fps: string;
  dropFrame: boolean;
  /** Record timecode of frame 0. */
  startTimecode: string;
  /** Frames, up to the end of the last item. */
  duration: number;
  /** The edit list it was imported from. */
  source: { format: EditListFormat; file: string; title: string };
  tracks: TimelineTrack[];
  markers: EditMarker[];
}

export interface TimelineTrack {
  /** `V`, `V1`, `A1`...: the list's own names. */
  name: string;
  kind: 'video' | 'audio';
  items: TimelineItem[];
}

export interface TimelineTransition {
  type: 'dissolve' | 'wipe';
  /** From the item's start; the item before on the track runs on under it. */
  frames: number;
  wipeCode?: number;
}

interface Placed {
  /** The list's name for the event (`003`, a clip's name). */
  event: string;
  /** Timeline frames, end exclusive. */
  start: number;
  end: number;
  transitionIn?: TimelineTransition;
}

export interface TimelineClip extends Placed {
  type: 'clip';
  /** Media file id. */
  media: string;
  mediaName: string;
  /** Source frames [in, out) from the file's first frame, in `fps`; in < out. */
  in: number;
  out: number;
  /** Source frames per timeline frame: 1, 0.5, 2; negative plays backwards (from out - 1); 0 holds frame `in`. */
  speed: number;
}

/** Nothing plays: black (silence), as the list asked. */
export interface TimelineBlack extends Placed {
  type: 'black';
}

/** Nothing plays because the event's media is missing or unusable: `reason` says why. */
export interface TimelineGap extends Placed {
  type: 'gap';
  reason: string;
}

export type TimelineItem = TimelineClip | TimelineBlack | TimelineGap;
