import type { GopMap } from './gop-scan.js';

/**
 * Which frames of a smart cut are copied and which are re-encoded. Each clip is a run of
 * source frames; inside it, the longest run that starts on an IDR picture and stops where a
 * GOP starts is copied packet for packet, and the partial GOPs on either side are re-encoded.
 * Re-encoded stretches that touch (the tail of one clip and the head of the next) become one
 * encode, so each join costs one keyframe, not two.
 */

export interface ClipFrames {
  /** Key of the clip's source (its `src`). */
  source: string;
  /** First frame (display order, from the source's first picture) and the frame after the last. */
  from: number;
  to: number;
}

export interface FrameRange {
  source: string;
  from: number;
  to: number;
}

export type Piece = ({ kind: 'copy' } & FrameRange) | { kind: 'encode'; ranges: FrameRange[] };

/**
 * At most this many source ranges in one encode: each is a decoder held open at once, so a
 * timeline of many short clips is encoded in several runs.
 */
export const MAX_RANGES_PER_ENCODE = 8;

export interface PiecePlan {
  pieces: Piece[];
  copiedFrames: number;
  totalFrames: number;
}

/**
 * The frames of a clip that can be copied: from its first IDR to the last GOP start inside it,
 * and on into that GOP as far as its pictures decode without the ones after the clip's end (so
 * a clip's tail re-encodes only the few pictures after the last anchor picture before its end,
 * not its whole partial GOP).
 */
export function copyableRun(clip: ClipFrames, gops: GopMap): { from: number; to: number } | undefined {
  const start = gops.keyframes.find((k) => k.idr && k.frame >= clip.from && k.frame < clip.to);
  if (!start) return undefined;
  // Up to the end of the stream when the clip goes there: no next GOP to stop at.
  if (gops.frameCount !== undefined && clip.to === gops.frameCount) return { from: start.frame, to: clip.to };
  let end: number | undefined;
  for (const k of gops.keyframes) {
    if (k.frame <= start.frame || k.runStartFrame === undefined) continue;
    // Stopping before keyframe k leaves out k and its leading pictures: everything from its run start.
    if (k.runStartFrame > start.frame && k.runStartFrame <= clip.to) end = Math.max(end ?? 0, k.runStartFrame);
  }
  if (end === undefined) return undefined;
  // Into the GOP that starts where the whole GOPs end, when it has no leading pictures: up to
  // the furthest point where its pictures so far decode on their own.
  const next = gops.keyframes.find((k) => k.frame === end && k.runStartFrame === k.frame);
  const into = next?.cleanEnds?.filter((a) => a + 1 <= clip.to).at(-1);
  return { from: start.frame, to: into === undefined ? end : Math.max(end, into + 1) };
}

export function planPieces(clips: ClipFrames[], gopsOf: (source: string) => GopMap): PiecePlan {
  const pieces: Piece[] = [];
  let copiedFrames = 0;
  let totalFrames = 0;
  const encode = (range: FrameRange) => {
    if (range.to <= range.from) return;
    const last = pieces.at(-1);
    if (last?.kind === 'encode') {
      const previous = last.ranges.at(-1)!;
      // Frames that follow each other in one source stay one range.
      if (previous.source === range.source && previous.to === range.from) previous.to = range.to;
      else if (last.ranges.length < MAX_RANGES_PER_ENCODE) last.ranges.push(range);
      else pieces.push({ kind: 'encode', ranges: [range] });
    } else {
      pieces.push({ kind: 'encode', ranges: [range] });
    }
  };
  for (const clip of clips) {
    totalFrames += clip.to - clip.from;
    const run = copyableRun(clip, gopsOf(clip.source));
    if (!run) {
      encode({ ...clip });
      continue;
    }
    encode({ source: clip.source, from: clip.from, to: run.from });
    pieces.push({ kind: 'copy', source: clip.source, from: run.from, to: run.to });
    copiedFrames += run.to - run.from;
    encode({ source: clip.source, from: run.to, to: clip.to });
  }
  return { pieces, copiedFrames, totalFrames };
}
