import type { Rational } from '../ffmpeg/media-info.js';
import { EditListError } from './edit-list-error.js';
import type { EditList, EditMarker, EditSource, EditTrack } from './edit-list.js';
import { placeSequence, type SequenceEntry } from './sequence.js';
import { rateFromNumber, TimecodeError } from './timecode.js';

/**
 * OpenTimelineIO's native `.otio` JSON: a `Timeline` whose `Stack` holds `Track`s of `Clip`s,
 * `Gap`s and `Transition`s laid end to end (a transition overlaps its neighbours by its
 * `in_offset` and `out_offset`). Times are `RationalTime {value, rate}`; speed comes from a
 * `LinearTimeWarp` (`time_scalar`) or `FreezeFrame` effect. OTIO has no JavaScript library; its
 * JSON is plain enough to read here.
 */

interface OtioObject {
  OTIO_SCHEMA?: string;
  [key: string]: unknown;
}

interface RationalTime {
  value: number;
  rate: number;
}

export interface OtioOptions {
  /** The timeline's rate; default: the rate of the timeline's own times. */
  rate?: Rational;
}

export function parseOtio(text: string, options: OtioOptions = {}): EditList {
  let root: OtioObject;
  try {
    root = JSON.parse(text.replace(/^\uFEFF/, '')) as OtioObject;
  } catch (error) {
    throw new EditListError(`the .otio file is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(root) || !schemaIs(root, 'Timeline')) throw new EditListError(`an .otio file must hold a Timeline, not ${describe(root)}`);
  const stack = root.tracks as OtioObject | undefined;
  if (!isObject(stack) || !schemaIs(stack, 'Stack')) throw new EditListError('the Timeline has no Stack of tracks ("tracks")');
  const children = arrayOf(stack.children, 'Stack.children');
  const rate = options.rate ?? timelineRate(firstRate(root) ?? 24);
  const frames = (time: unknown, where: string): number => {
    const t = rationalTime(time, where);
    const frame = Math.round((t.value * rate.num) / (t.rate * rate.den));
    if (!Number.isSafeInteger(frame)) throw new EditListError(`${where} is out of range (${t.value} at ${t.rate} fps)`);
    return frame;
  };
  const notes: string[] = [];
  const tracks: EditTrack[] = [];
  const counts = { video: 0, audio: 0 };
  for (const child of children) {
    if (!isObject(child) || !schemaIs(child, 'Track')) {
      notes.push(`${describe(child)} inside the timeline's stack is not a track; it is left out`);
      continue;
    }
    const kind = String(child.kind ?? 'Video').toLowerCase() === 'audio' ? 'audio' : 'video';
    counts[kind] += 1;
    const name = `${kind === 'video' ? 'V' : 'A'}${counts[kind]}`;
    const entries: SequenceEntry[] = [];
    for (const [index, item] of arrayOf(child.children, `${name}.children`).entries()) {
      const label = isObject(item) && typeof item.name === 'string' && item.name ? item.name : `${name} item ${index + 1}`;
      if (!isObject(item)) throw new EditListError(`${name} item ${index + 1} is not an object`);
      if (item.enabled === false) {
        notes.push(`${label}: disabled; it is left out as black`);
      }
      if (schemaIs(item, 'Transition')) {
        entries.push({
          kind: 'transition',
          event: label,
          inOffset: frames(item.in_offset, `${label}.in_offset`),
          outOffset: frames(item.out_offset, `${label}.out_offset`),
          type: /wipe/i.test(String(item.transition_type ?? '')) ? 'wipe' : 'dissolve',
        });
        continue;
      }
      const range = timeRange(item.source_range, `${label}.source_range`);
      const length = frames(range.duration, `${label}.source_range.duration`);
      if (schemaIs(item, 'Gap') || item.enabled === false) {
        entries.push({ kind: 'item', event: label, length, source: { kind: 'black' }, sourceEntry: 0, speed: 1 });
        continue;
      }
      if (!schemaIs(item, 'Clip')) {
        notes.push(`${label}: a ${String(item.OTIO_SCHEMA)} inside a track is not supported; it is left out as black`);
        entries.push({ kind: 'item', event: label, length, source: { kind: 'black' }, sourceEntry: 0, speed: 1 });
        continue;
      }
      const reference = mediaReference(item);
      const available =
        isObject(reference) && isObject(reference.available_range) ? timeRange(reference.available_range, `${label}.available_range`) : undefined;
      // With the file's own range known, frames count from its first frame; else in its timecode.
      const start = frames(range.start_time, `${label}.source_range.start_time`);
      const base: 'media' | 'timecode' = available ? 'media' : 'timecode';
      const sourceEntry = available ? start - frames(available.start_time, `${label}.available_range.start_time`) : start;
      const speed = speedOf(item, label, notes);
      const metadata = isObject(item.metadata) ? item.metadata : {};
      const cmx = isObject(metadata.cmx_3600) ? metadata.cmx_3600 : {};
      const fileName = isObject(reference) && typeof reference.target_url === 'string' ? fileNameOf(reference.target_url) : undefined;
      const source: EditSource = {
        kind: 'media',
        base,
        ...(fileName ? { fileName } : {}),
        ...(typeof item.name === 'string' && item.name ? { clipName: item.name } : {}),
        ...(typeof cmx.reel === 'string' && cmx.reel ? { reel: cmx.reel } : {}),
      };
      entries.push({ kind: 'item', event: label, length, source, sourceEntry, speed });
    }
    tracks.push({ kind, name, items: placeSequence(entries, name, notes) });
  }
  const markers = markersOf(stack, frames);
  const globalStart = root.global_start_time;
  return {
    format: 'otio',
    title: typeof root.name === 'string' ? root.name : '',
    rate,
    dropFrame: false,
    startFrame: isObject(globalStart) ? frames(globalStart, 'global_start_time') : 0,
    tracks,
    markers,
    notes,
  };
}

function speedOf(item: OtioObject, label: string, notes: string[]): number {
  let speed = 1;
  for (const effect of Array.isArray(item.effects) ? item.effects : []) {
    if (!isObject(effect)) continue;
    if (schemaIs(effect, 'FreezeFrame')) speed = 0;
    else if (schemaIs(effect, 'LinearTimeWarp')) speed *= Number(effect.time_scalar ?? 1);
    else notes.push(`${label}: the ${String(effect.effect_name || effect.OTIO_SCHEMA)} effect is not supported; the clip plays without it`);
  }
  if (!Number.isFinite(speed)) throw new EditListError(`${label}: its time_scalar is not a number`);
  return speed;
}

function mediaReference(clip: OtioObject): OtioObject | undefined {
  // Clip.2 keeps several references by key; Clip.1 one.
  if (isObject(clip.media_references)) {
    const key = typeof clip.active_media_reference_key === 'string' ? clip.active_media_reference_key : 'DEFAULT_MEDIA';
    const chosen = (clip.media_references as Record<string, unknown>)[key];
    return isObject(chosen) ? chosen : undefined;
  }
  return isObject(clip.media_reference) ? clip.media_reference : undefined;
}

function markersOf(stack: OtioObject, frames: (time: unknown, where: string) => number): EditMarker[] {
  const markers: EditMarker[] = [];
  for (const marker of Array.isArray(stack.markers) ? stack.markers : []) {
    if (!isObject(marker) || !isObject(marker.marked_range)) continue;
    markers.push({
      frame: frames((marker.marked_range as OtioObject).start_time, 'marker'),
      color: typeof marker.color === 'string' ? marker.color : '',
      text: typeof marker.name === 'string' ? marker.name : '',
    });
  }
  return markers;
}

/** The timeline's rate as a fraction; a rate no timecode can count (0, Infinity, 10000) is the file's fault. */
function timelineRate(fps: number): Rational {
  try {
    return rateFromNumber(fps);
  } catch (error) {
    if (error instanceof TimecodeError) throw new EditListError(`the timeline's rate: ${error.message}`);
    throw error;
  }
}

/** The rate the timeline's times are written in: its global start's, else the first clip's. */
function firstRate(root: OtioObject): number | undefined {
  if (isObject(root.global_start_time) && typeof root.global_start_time.rate === 'number') return root.global_start_time.rate;
  const stack = root.tracks as OtioObject;
  for (const track of Array.isArray(stack.children) ? stack.children : []) {
    for (const item of isObject(track) && Array.isArray(track.children) ? track.children : []) {
      if (isObject(item) && isObject(item.source_range)) {
        const duration = (item.source_range as OtioObject).duration;
        if (isObject(duration) && typeof duration.rate === 'number') return duration.rate;
      }
    }
  }
  return undefined;
}

function rationalTime(value: unknown, where: string): RationalTime {
  // JSON such as 1e999 reads as Infinity: a time that is not finite is as broken as a missing one.
  if (!isObject(value) || !Number.isFinite(value.value) || !Number.isFinite(value.rate) || !((value.rate as number) > 0)) {
    throw new EditListError(`${where} must be a RationalTime {value, rate}`);
  }
  return { value: value.value as number, rate: value.rate as number };
}

function timeRange(value: unknown, where: string): { start_time: unknown; duration: unknown } {
  if (!isObject(value)) throw new EditListError(`${where} must be a TimeRange {start_time, duration}`);
  return { start_time: value.start_time, duration: value.duration };
}

function fileNameOf(url: string): string | undefined {
  let path = url;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    // Not a URL: a plain path.
  }
  return path.split(/[\\/]/).pop() || undefined;
}

function arrayOf(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new EditListError(`${where} must be a list`);
  return value;
}

function isObject(value: unknown): value is OtioObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaIs(value: OtioObject, name: string): boolean {
  return typeof value.OTIO_SCHEMA === 'string' && value.OTIO_SCHEMA.split('.')[0] === name;
}

function describe(value: unknown): string {
  return isObject(value) && typeof value.OTIO_SCHEMA === 'string' ? `a ${value.OTIO_SCHEMA}` : `a ${Array.isArray(value) ? 'list' : typeof value}`;
}
