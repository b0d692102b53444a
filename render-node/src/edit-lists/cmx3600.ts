import type { Rational } from '../ffmpeg/media-info.js';
import { extendItem, sourceRange, type EditItem, type EditList, type EditMarker, type EditSource, type EditTrack, type EditTransition } from './edit-list.js';
import { EditListError } from './edit-list-error.js';
import { canDropFrame, isTimecode, rateText, TimecodeError, timecodeToFrames, writtenAsDropFrame } from './timecode.js';

/**
 * CMX 3600 edit decision lists, as Avid, Premiere, Resolve and Final Cut write them:
 *
 *   TITLE: ...                FCM: DROP FRAME | NON-DROP FRAME
 *   001  REEL  V  C        srcIn srcOut recIn recOut
 *   002  REEL  AA D 030    srcIn srcOut recIn recOut     (a dissolve: the line before, with the
 *                                                         same number, is where it comes from)
 *   M2   REEL  050.0  entryTc                              (speed in frames a second; minus: reverse)
 *   AUD  3 4                                               (more audio channels for the line above)
 *   * FROM CLIP NAME: ...   * TO CLIP NAME: ...   * SOURCE FILE: ...   * LOC: tc COLOR text
 *
 * Channels: `V`, `A` (= A1), `A2`..`A4`, `AA` (A1 and A2), `B` (V and A1), and combinations
 * with `/` (`AA/V`). Reels `BL` are black; `AX` (auxiliary) sources are named by the comments.
 * There is no well-kept CMX parser on npm, and the format is small: this one is ours.
 */

interface EventLine {
  number: string;
  line: number;
  reel: string;
  channels: string[];
  transition: { code: 'C' } | { code: 'D' | 'W' | 'K'; frames: number; wipeCode?: number };
  srcIn: number;
  srcOut: number;
  recIn: number;
  recOut: number;
  clipName?: string;
  sourceFile?: string;
  /** From an M2 line: speed as a factor, and the source frame it starts at. */
  speed?: { factor: number; entry: number; fps: number };
}

interface EventGroup {
  number: string;
  lines: EventLine[];
  comments: Array<{ key: string; value: string }>;
}

export interface Cmx3600Options {
  /** The list's rate: CMX lists do not say it. */
  rate: Rational;
}

const EVENT_START = /^(\d{1,6})\s+(\S+)\s+(\S+)\s+/;

export function parseCmx3600(text: string, options: Cmx3600Options): EditList {
  const { rate } = options;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  let title = '';
  let fcmDrop: boolean | undefined;
  let sawDropSpelling = false;
  const groups: EventGroup[] = [];
  const locs: Array<{ line: number; tc: string; color: string; text: string }> = [];
  const notes: string[] = [];
  let current: EventGroup | undefined;

  const fail = (lineNo: number, message: string): never => {
    throw new EditListError(`EDL line ${lineNo}: ${message}`);
  };
  const frames = (tc: string, lineNo: number): number => {
    if (writtenAsDropFrame(tc)) sawDropSpelling = true;
    try {
      return timecodeToFrames(tc, rate, writtenAsDropFrame(tc) || fcmDrop === true);
    } catch (error) {
      if (error instanceof TimecodeError) return fail(lineNo, error.message);
      throw error;
    }
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const line = raw.trim();
    if (line === '') continue;
    const upper = line.toUpperCase();
    if (upper.startsWith('TITLE:')) {
      title = line.slice(6).trim();
      continue;
    }
    if (upper.startsWith('FCM:')) {
      const mode = upper.slice(4).trim();
      if (mode.startsWith('DROP')) fcmDrop = true;
      else if (mode.startsWith('NON')) fcmDrop = false;
      else fail(lineNo, `FCM must be DROP FRAME or NON-DROP FRAME, not "${line.slice(4).trim()}"`);
      if (fcmDrop && !canDropFrame(rate)) fail(lineNo, `the list is drop-frame, which exists only at 29.97 and 59.94 fps, and fps is ${rateText(rate)}`);
      continue;
    }
    if (line.startsWith('*')) {
      const comment = line.replace(/^\*+\s*/, '');
      const keyed = /^(FROM CLIP NAME|TO CLIP NAME|SOURCE FILE|FROM CLIP|TO CLIP|LOC)\s*:\s*(.*)$/i.exec(comment);
      if (!keyed) continue;
      const key = keyed[1]!.toUpperCase();
      const value = keyed[2]!.trim();
      if (key === 'LOC') {
        const loc = /^(\S+)\s+(\S+)\s*(.*)$/.exec(value);
        if (loc && isTimecode(loc[1]!)) locs.push({ line: lineNo, tc: loc[1]!, color: loc[2]!, text: loc[3]!.trim() });
        continue;
      }
      if (current) current.comments.push({ key, value });
      continue;
    }
    if (/^M2\s/i.test(line)) {
      const m2 = /^M2\s+(\S+)\s+(-?\d+(?:\.\d+)?)\s+(\S+)\s*$/i.exec(line);
      if (!m2 || !isTimecode(m2[3]!)) fail(lineNo, `an M2 line is "M2 <reel> <speed in fps> <entry timecode>", not "${line}"`);
      const target = current?.lines.filter((l) => l.reel === m2![1]).at(-1) ?? current?.lines.at(-1);
      if (!target) fail(lineNo, 'an M2 line must follow the event it changes');
      const fps = Number(m2![2]);
      target!.speed = { factor: speedFactor(fps, rate), entry: frames(m2![3]!, lineNo), fps };
      continue;
    }
    if (/^AUD\s/i.test(line)) {
      const target = current?.lines.at(-1);
      if (!target) fail(lineNo, 'an AUD line must follow the event it adds channels to');
      for (const channel of line.slice(3).trim().split(/\s+/)) {
        if (!/^[1-4]$/.test(channel)) fail(lineNo, `AUD names audio channels 1 to 4, not "${channel}"`);
        if (!target!.channels.includes(`A${channel}`)) target!.channels.push(`A${channel}`);
      }
      continue;
    }
    const start = EVENT_START.exec(line);
    if (start) {
      const event = parseEventLine(line, lineNo, fail, frames);
      if (current && current.number === event.number && current.lines.length < 2) current.lines.push(event);
      else {
        current = { number: event.number, lines: [event], comments: [] };
        groups.push(current);
      }
      continue;
    }
    // SPLIT:, >>> SOURCE, FINAL: and other vendor lines say nothing the timeline needs.
  }

  const dropFrame = fcmDrop ?? sawDropSpelling;
  for (const group of groups) assignComments(group);
  const events = groups.flatMap((g) => g.lines);
  if (events.length === 0) throw new EditListError('the EDL holds no events');
  const startFrame = Math.min(...events.map((e) => e.recIn));

  const tracks = new Map<string, EditTrack>();
  const track = (name: string): EditTrack => {
    let found = tracks.get(name);
    if (!found) {
      found = { kind: name === 'V' ? 'video' : 'audio', name, items: [] };
      tracks.set(name, found);
    }
    return found;
  };

  for (const group of groups) {
    const incoming = group.lines.at(-1)!;
    const outgoing = group.lines.length === 2 ? group.lines[0]! : undefined;
    if (incoming.recOut < incoming.recIn) notes.push(`event ${group.number}: the record out is before the record in; it is left out`);
    if (incoming.recOut <= incoming.recIn) continue;
    if (incoming.transition.code === 'K') notes.push(`event ${group.number}: keys are not supported; it is taken as a cut`);
    for (const channel of incoming.channels) {
      const items = track(channel).items;
      const transition = transitionOf(incoming);
      if (transition && (outgoing || hasItemEndingAt(items, incoming.recIn - startFrame))) {
        // The outgoing side runs on under the transition, from where its line says.
        const from = outgoing ?? undefined;
        if (from && from.recOut > from.recIn) items.push(cutItem(group.number, from, startFrame));
        const cutAt = incoming.recIn - startFrame;
        const previous = items.findLast((item) => item.end === cutAt);
        const fromSource = from ? sourceOf(from) : undefined;
        const fromEntry = from ? from.srcOut : undefined;
        const continuous =
          previous !== undefined &&
          (from === undefined || (sameSource(previous.source, fromSource!) && (previous.source.kind === 'black' || previous.sourceOut === fromEntry)));
        if (continuous) extendItem(previous!, transition.frames);
        else if (from) {
          const speed = from.speed?.factor ?? 1;
          items.push({
            event: group.number,
            start: cutAt,
            end: cutAt + transition.frames,
            source: fromSource!,
            ...sourceRange(from.speed ? from.speed.entry : from.srcIn, speed, transition.frames),
            speed,
          });
        }
        items.push({ ...cutItem(group.number, incoming, startFrame), transitionIn: transition });
      } else {
        if (transition) notes.push(`event ${group.number}: a ${transition.type} with nothing before it is taken as a cut`);
        items.push(cutItem(group.number, incoming, startFrame));
      }
    }
  }

  const markers: EditMarker[] = locs.map((loc) => ({ frame: frames(loc.tc, loc.line) - startFrame, color: loc.color, text: loc.text }));
  const order = (name: string) => (name === 'V' ? 0 : Number(name.slice(1)));
  return {
    format: 'cmx3600',
    title,
    rate,
    dropFrame,
    startFrame,
    tracks: [...tracks.values()].sort((a, b) => order(a.name) - order(b.name)),
    markers,
    notes,
  };
}

function parseEventLine(
  line: string,
  lineNo: number,
  fail: (lineNo: number, message: string) => never,
  frames: (tc: string, lineNo: number) => number,
): EventLine {
  const tokens = line.split(/\s+/);
  const timecodes = tokens.slice(-4);
  if (tokens.length < 8 || !timecodes.every(isTimecode)) {
    fail(lineNo, `an event is "<number> <reel> <channels> <transition> [<duration>] <source in> <source out> <record in> <record out>", not "${line}"`);
  }
  const [number, reel, channelText] = tokens as [string, string, string];
  const middle = tokens.slice(3, -4);
  const code = middle[0]!.toUpperCase();
  let transition: EventLine['transition'];
  if (code === 'C' && middle.length === 1) transition = { code: 'C' };
  else if ((code === 'D' || /^W\d{3}$/.test(code) || code === 'K') && middle.length >= 2 && /^\d{1,4}$/.test(middle.at(-1)!)) {
    const framesLong = Number(middle.at(-1));
    transition = code.startsWith('W') ? { code: 'W', frames: framesLong, wipeCode: Number(code.slice(1)) } : { code: code as 'D' | 'K', frames: framesLong };
  } else if (code === 'K') transition = { code: 'K', frames: 0 };
  else fail(lineNo, `"${middle.join(' ')}" is not a transition (C, D <frames>, W<code> <frames>)`);
  const event: EventLine = {
    number,
    line: lineNo,
    reel,
    channels: parseChannels(channelText, lineNo, fail),
    transition: transition!,
    srcIn: frames(timecodes[0]!, lineNo),
    srcOut: frames(timecodes[1]!, lineNo),
    recIn: frames(timecodes[2]!, lineNo),
    recOut: frames(timecodes[3]!, lineNo),
  };
  return event;
}

function parseChannels(text: string, lineNo: number, fail: (lineNo: number, message: string) => never): string[] {
  const channels: string[] = [];
  const add = (c: string) => {
    if (!channels.includes(c)) channels.push(c);
  };
  for (const part of text.toUpperCase().split('/')) {
    if (part === 'V') add('V');
    else if (part === 'A') add('A1');
    else if (part === 'AA') {
      add('A1');
      add('A2');
    } else if (part === 'B') {
      add('V');
      add('A1');
    } else if (/^A[1-4]$/.test(part)) add(part);
    else if (part === 'NONE') continue;
    else fail(lineNo, `"${text}" is not a channel (V, A, A2, AA, B, or with /, as AA/V)`);
  }
  return channels;
}

/** Clip names and files in the comments belong to the line they describe: FROM the outgoing one, TO the incoming one. */
function assignComments(group: EventGroup): void {
  const [first, second] = group.lines;
  const incoming = second ?? first!;
  let files = 0;
  for (const { key, value } of group.comments) {
    if (key === 'FROM CLIP NAME') first!.clipName ??= value;
    else if (key === 'TO CLIP NAME') incoming.clipName = value;
    else if (key === 'SOURCE FILE' || key === 'FROM CLIP' || key === 'TO CLIP') {
      // A path (Avid writes Windows ones): the file's name is what the zip can hold.
      const name = value.split(/[\\/]/).pop()!.trim();
      if (!name) continue;
      const target = key === 'TO CLIP' ? incoming : key === 'FROM CLIP' ? first! : (group.lines[files] ?? incoming);
      if (key === 'SOURCE FILE') files += 1;
      if (key === 'SOURCE FILE' || target.sourceFile === undefined) target.sourceFile = name;
    }
  }
  // One SOURCE FILE for a transition pair names the incoming side when the reels differ.
  if (second && files === 1 && first!.reel === second.reel) second.sourceFile ??= first!.sourceFile;
  if (second && files === 1 && first!.reel !== second.reel && first!.sourceFile !== undefined && second.sourceFile === undefined) {
    second.sourceFile = first!.sourceFile;
    delete first!.sourceFile;
  }
}

function sourceOf(event: EventLine): EditSource {
  if (event.reel.toUpperCase() === 'BL' || event.reel.toUpperCase() === 'BLK' || event.reel.toUpperCase() === 'BLACK') return { kind: 'black' };
  return {
    kind: 'media',
    reel: event.reel,
    base: 'timecode',
    ...(event.clipName ? { clipName: event.clipName } : {}),
    ...(event.sourceFile ? { fileName: event.sourceFile } : {}),
  };
}

function sameSource(a: EditSource, b: EditSource): boolean {
  if (a.kind === 'black' || b.kind === 'black') return a.kind === b.kind;
  return a.reel === b.reel && (a.fileName === undefined || b.fileName === undefined || a.fileName === b.fileName);
}

/**
 * An M2 speed (frames a second) as a factor of the list's rate. Lists at 29.97 write half speed
 * as 15.0 (of the nominal 30) or 14.98 (of 29.97): the reading that gives a round factor wins.
 */
function speedFactor(fps: number, rate: Rational): number {
  const ofNominal = fps / Math.round(rate.num / rate.den);
  const ofActual = (fps * rate.den) / rate.num;
  const round = (f: number) => Math.abs(f * 100 - Math.round(f * 100)) < 1e-6;
  if (round(ofNominal)) return ofNominal;
  if (round(Math.round(ofActual * 1e4) / 1e4)) return Math.round(ofActual * 1e4) / 1e4;
  return Math.round(ofActual * 1e4) / 1e4;
}

function transitionOf(event: EventLine): EditTransition | undefined {
  const t = event.transition;
  if (t.code === 'C' || t.code === 'K' || t.frames <= 0) return undefined;
  return t.code === 'W' ? { type: 'wipe', frames: t.frames, wipeCode: t.wipeCode! } : { type: 'dissolve', frames: t.frames };
}

function hasItemEndingAt(items: EditItem[], frame: number): boolean {
  return items.some((item) => item.end === frame);
}

function cutItem(number: string, event: EventLine, startFrame: number): EditItem {
  const length = event.recOut - event.recIn;
  const speed = event.speed?.factor ?? 1;
  const entry = event.speed ? event.speed.entry : event.srcIn;
  return {
    event: number,
    start: event.recIn - startFrame,
    end: event.recOut - startFrame,
    source: sourceOf(event),
    ...sourceRange(entry, speed, length),
    speed,
  };
}
