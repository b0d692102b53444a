import { extendItem, sourceRange, startEarlier, type EditItem, type EditSource } from './edit-list.js';

/**
 * Tracks written as sequences (OpenTimelineIO, Final Cut Pro XML): items end to end, and
 * transitions between them that overlap the item before by `inOffset` frames and the item after
 * by `outOffset`, reaching into their media beyond the cut. Placed, that is the CMX picture: the
 * item before runs on `outOffset` frames past the cut, the item after starts `inOffset` before
 * it, and the transition lasts from the item after's start for both together.
 */

export type SequenceEntry =
  | { kind: 'item'; event: string; length: number; source: EditSource; sourceEntry: number; speed: number }
  | { kind: 'transition'; event: string; inOffset: number; outOffset: number; type: 'dissolve' | 'wipe' };

export function placeSequence(entries: SequenceEntry[], trackName: string, notes: string[], origin = 0): EditItem[] {
  const items: EditItem[] = [];
  let position = origin;
  let pending: Extract<SequenceEntry, { kind: 'transition' }> | undefined;
  for (const entry of entries) {
    if (entry.kind === 'transition') {
      if (items.length === 0) notes.push(`${entry.event} (${trackName}): a transition before any clip is left out`);
      else pending = entry;
      continue;
    }
    if (entry.length <= 0) {
      notes.push(`${entry.event} (${trackName}): it lasts no time and is left out`);
      continue;
    }
    const item: EditItem = {
      event: entry.event,
      start: position,
      end: position + entry.length,
      source: entry.source,
      ...sourceRange(entry.sourceEntry, entry.speed, entry.length),
      speed: entry.speed,
    };
    position = item.end;
    if (pending) {
      const frames = pending.inOffset + pending.outOffset;
      if (frames > 0) {
        extendItem(items.at(-1)!, pending.outOffset);
        startEarlier(item, pending.inOffset);
        item.transitionIn = { type: pending.type, frames };
      }
      pending = undefined;
    }
    items.push(item);
  }
  if (pending) notes.push(`${pending.event} (${trackName}): a transition after the last clip is left out`);
  return items;
}
