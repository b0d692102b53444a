import type { Rational } from '../ffmpeg/media-info.js';
import type { Timeline, TimelineClip, TimelineItem, TimelineTrack } from './timeline.js';
import { framesToHns, parseRateText } from './timecode.js';

/**
 * The XTL (docs/xtl.md) that renders a timeline: one output, its frame rate the timeline's; each
 * video track a picture-only layer, each audio track a sound-only one, bottom first. Clips are
 * placed (`mstart`/`mstop` the source, `start`/`stop` the timeline) in 100 ns units, which the
 * engine rounds back to the same frames. A transition between two clips becomes an XTL
 * transition; one from or into black (or a gap) becomes a fade of the clip that is there.
 * What XTL cannot play (reverse speed, freeze frames, speeds beyond 1/16 to 16) is left out as a
 * gap and named in `notes`. A clip on an audio track that repeats one on an earlier audio track
 * (the two channels of a stereo pair, A1 and A2) plays once, so the pair does not double up.
 */

export interface TimelineXtl {
  xml: string;
  /** Clips that play differently from the timeline, one sentence each. */
  notes: string[];
  /** Clips the XTL plays. */
  clipCount: number;
}

const MIN_SPEED = 1 / 16;
const MAX_SPEED = 16;

interface XtlClipOut {
  item: TimelineClip;
  /** Timeline frames it plays here (a clip cut short for a transition it cannot make). */
  end: number;
  transition?: { type: string; durationHns: number };
  params: Array<[string, string]>;
}

export function timelineToXtl(timeline: Timeline): TimelineXtl {
  const rate = parseRateText(timeline.fps);
  if (!rate) throw new Error(`the timeline's fps "${timeline.fps}" is not a frame rate`);
  const notes: string[] = [];
  const hns = (frames: number) => framesToHns(frames, rate);
  const playedSound = new Set<string>();
  const tracks: string[] = [];
  let clipCount = 0;
  let hasPicture = false;
  const ordered = [...timeline.tracks.filter((t) => t.kind === 'video'), ...timeline.tracks.filter((t) => t.kind === 'audio')];
  for (const track of ordered) {
    const clips = layer(track, rate, notes, playedSound);
    if (clips.length === 0) continue;
    clipCount += clips.length;
    if (track.kind === 'video') hasPicture = true;
    const lines = clips.flatMap((clip) => {
      const out: string[] = [];
      if (clip.transition) out.push(`    <transition type="${clip.transition.type}" duration="${clip.transition.durationHns}" timeFormat="100ns_units"/>`);
      const { item } = clip;
      const length = clip.end - item.start;
      const sourceLength = Math.round(((item.out - item.in) * length) / (item.end - item.start));
      const attributes = `src="${escapeAttribute(item.media)}" start="${hns(item.start)}" stop="${hns(clip.end)}" mstart="${hns(item.in)}" mstop="${hns(item.in + sourceLength)}" timeFormat="100ns_units"`;
      if (clip.params.length === 0) out.push(`    <clip ${attributes}/>`);
      else {
        out.push(`    <clip ${attributes}>`);
        for (const [name, value] of clip.params) out.push(`      <param name="${name}" value="${value}"/>`);
        out.push('    </clip>');
      }
      return out;
    });
    const flags = track.kind === 'video' ? 'video="1" audio="0"' : 'video="0" audio="1"';
    tracks.push(`  <track ${flags} accuracy="frame"><!-- ${escapeComment(track.name)} -->\n${lines.join('\n')}\n  </track>`);
  }
  const output = `${timeline.name || 'timeline'}.${hasPicture ? 'mp4' : 'm4a'}`;
  const xml = [
    '<timelines version="2">',
    '<timeline>',
    `<group output="${escapeAttribute(output)}" framerate="${rate.num}/${rate.den}">`,
    ...tracks,
    '</group>',
    '</timeline>',
    '</timelines>',
    '',
  ].join('\n');
  return { xml, notes, clipCount };
}

/** The clips of one track that XTL plays, with their transitions and fades. */
function layer(track: TimelineTrack, rate: Rational, notes: string[], playedSound: Set<string>): XtlClipOut[] {
  const hns = (frames: number) => framesToHns(frames, rate);
  const out: XtlClipOut[] = [];
  const fade = (kind: 'in' | 'out', frames: number) => [`${track.kind === 'video' ? 'video' : 'audio'}fade${kind}`, String(hns(frames))] as [string, string];
  let previousItem: TimelineItem | undefined;
  for (const item of [...track.items].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    const playable = item.type === 'clip' && playableSpeed(item, track, notes);
    if (!playable) {
      // A clip running on under a transition into what does not play fades out there.
      if (item.transitionIn && last && last.item === previousItem && last.end === item.start + item.transitionIn.frames) {
        last.params.push(fade('out', item.transitionIn.frames));
      }
      previousItem = item;
      continue;
    }
    const clip = item as TimelineClip;
    if (track.kind === 'audio') {
      const key = `${clip.media}|${clip.in}|${clip.out}|${clip.start}|${clip.end}|${clip.speed}`;
      if (playedSound.has(key)) {
        previousItem = item;
        continue;
      }
      playedSound.add(key);
    }
    const entry: XtlClipOut = { item: clip, end: clip.end, params: [] };
    const transition = clip.transitionIn;
    if (transition && last && last.item === previousItem && last.end === clip.start + transition.frames) {
      const fits = transition.frames <= last.end - last.item.start - alreadyUsed(last) && transition.frames <= clip.end - clip.start;
      if (fits) {
        entry.transition = { type: xtlTransitionType(transition.type, transition.wipeCode), durationHns: hns(last.end) - hns(clip.start) };
      } else {
        notes.push(`event ${clip.event} (${track.name}): its ${transition.type} is longer than the clips on either side; it renders as a cut`);
        last.end = clip.start;
      }
    } else if (transition) {
      // From black, a gap or a clip that does not play: the clip fades in.
      entry.params.push(fade('in', Math.min(transition.frames, clip.end - clip.start)));
    }
    if (last && clip.start < last.end && !entry.transition) {
      notes.push(`event ${clip.event} (${track.name}): it overlaps the clip before it without a transition; it is left out`);
      previousItem = item;
      continue;
    }
    out.push(entry);
    previousItem = item;
  }
  return out;
}

/** Frames of a clip's start that its own transition in already takes. */
function alreadyUsed(clip: XtlClipOut): number {
  return clip.transition ? (clip.item.transitionIn?.frames ?? 0) : 0;
}

function playableSpeed(item: TimelineClip, track: TimelineTrack, notes: string[]): boolean {
  const where = `event ${item.event} (${track.name})`;
  if (item.speed === 0) notes.push(`${where}: a freeze frame cannot be rendered; it is a gap in the render`);
  else if (item.speed < 0) notes.push(`${where}: reverse speed (${item.speed}x) cannot be rendered; it is a gap in the render`);
  else if (item.speed < MIN_SPEED || item.speed > MAX_SPEED)
    notes.push(`${where}: speed ${item.speed}x is outside 1/16 to 16 and cannot be rendered; it is a gap in the render`);
  else return true;
  return false;
}

/** SMPTE wipe 1 is a horizontal wipe, 2 a vertical one; other patterns render as the horizontal wipe. */
function xtlTransitionType(type: 'dissolve' | 'wipe', wipeCode: number | undefined): string {
  if (type === 'dissolve') return 'crossfade';
  return wipeCode === 2 ? 'wipedown' : 'wiperight';
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function escapeComment(value: string): string {
  return value.replace(/-/g, '‐');
}
