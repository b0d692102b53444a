import type { EditItem, EditList } from './edit-list.js';
import { framesToTimecode, hnsToFrames, rateText, TimecodeError, timecodeToFrames } from './timecode.js';
import { TIMELINE_FORMAT, TIMELINE_VERSION, type Timeline, type TimelineItem, type TimelineTrack } from './timeline.js';
import { timelineToXtl } from './timeline-to-xtl.js';

/**
 * From an edit list and the media imported with it to the project's timeline:
 * - each event finds its media by, in order, its source file's name, its clip name (exactly,
 *   then without extension) and its reel (against file names without extension), ignoring case;
 * - source timecode becomes a frame of the file through the file's own start timecode (none:
 *   00:00:00:00);
 * - an event without media, or whose source range falls outside its file, or that asks for
 *   picture or sound the file does not have, stays on the timeline as a gap and is reported.
 * What the timeline holds that cannot render (reverse speed, freeze frames) is reported too.
 */

export interface ImportedMedia {
  id: string;
  /** The file's name (no folders). */
  name: string;
  /** The file's start timecode (a `tmcd` track or `timecode` tag), when it has one. */
  startTimecode?: string | undefined;
  durationHns: number;
  hasVideo: boolean;
  hasAudio: boolean;
  /** A still picture: any in and out point is fine. */
  still: boolean;
}

export interface BuiltTimeline {
  timeline: Timeline;
  /** One sentence per problem, each naming its event. */
  problems: string[];
}

export function buildTimeline(list: EditList, media: ImportedMedia[], meta: { name: string; file: string }): BuiltTimeline {
  const problems = [...list.notes];
  const matcher = mediaMatcher(media);
  const startOffsets = new Map<string, number>();
  const startOffset = (file: ImportedMedia): number => {
    let offset = startOffsets.get(file.id);
    if (offset === undefined) {
      offset = 0;
      if (file.startTimecode) {
        try {
          offset = timecodeToFrames(file.startTimecode, list.rate);
        } catch (error) {
          if (!(error instanceof TimecodeError)) throw error;
          problems.push(`${file.name}: its start timecode ${file.startTimecode} does not count at ${rateText(list.rate)} fps; it is taken as 00:00:00:00`);
        }
      }
      startOffsets.set(file.id, offset);
    }
    return offset;
  };

  const tracks: TimelineTrack[] = list.tracks.map((track) => ({
    name: track.name,
    kind: track.kind,
    items: track.items.map((item): TimelineItem => {
      const placed = { event: item.event, start: item.start, end: item.end, ...(item.transitionIn ? { transitionIn: { ...item.transitionIn } } : {}) };
      if (item.source.kind === 'black') return { type: 'black', ...placed };
      const gap = (reason: string): TimelineItem => {
        problems.push(reason);
        return { type: 'gap', ...placed, reason };
      };
      const where = `event ${item.event} (${track.name})`;
      const file = matcher(item);
      if (!file) return gap(`${where}: no media file matches ${describeSource(item)}`);
      if (track.kind === 'video' && !file.hasVideo) return gap(`${where}: ${file.name} has no picture`);
      if (track.kind === 'audio' && !file.hasAudio) return gap(`${where}: ${file.name} has no sound`);
      const offset = item.source.base === 'timecode' ? startOffset(file) : 0;
      const sourceIn = item.sourceIn - offset;
      const sourceOut = item.sourceOut - offset;
      if (!file.still) {
        const frames = hnsToFrames(file.durationHns, list.rate);
        if (sourceIn < 0 || sourceOut > frames) {
          const shown = (f: number) => framesToTimecode(f + offset, list.rate, list.dropFrame);
          return gap(
            `${where}: source ${shown(item.sourceIn - offset)}-${shown(item.sourceOut - offset)} falls outside ${file.name} (${shown(0)}-${shown(frames)})`,
          );
        }
      }
      return { type: 'clip', ...placed, media: file.id, mediaName: file.name, in: sourceIn, out: sourceOut, speed: item.speed };
    }),
  }));

  const duration = Math.max(0, ...tracks.flatMap((t) => t.items.map((i) => i.end)));
  const timeline: Timeline = {
    format: TIMELINE_FORMAT,
    version: TIMELINE_VERSION,
    name: meta.name,
    fps: rateText(list.rate),
    dropFrame: list.dropFrame,
    startTimecode: framesToTimecode(list.startFrame, list.rate, list.dropFrame),
    duration,
    source: { format: list.format, file: meta.file, title: list.title },
    tracks,
    markers: list.markers,
  };
  problems.push(...timelineToXtl(timeline).notes);
  return { timeline, problems };
}

function describeSource(item: EditItem): string {
  if (item.source.kind !== 'media') return 'black';
  const parts: string[] = [];
  if (item.source.fileName) parts.push(`file "${item.source.fileName}"`);
  if (item.source.clipName) parts.push(`clip name "${item.source.clipName}"`);
  if (item.source.reel) parts.push(`reel "${item.source.reel}"`);
  return parts.length > 0 ? parts.join(', ') : 'no name at all';
}

const lower = (name: string) => name.toLowerCase();
const withoutExtension = (name: string) => lower(name).replace(/\.[^./\\]*$/, '');

/** Finds an item's file by the list's names, in the order the project import promises. */
function mediaMatcher(media: ImportedMedia[]): (item: EditItem) => ImportedMedia | undefined {
  const byName = new Map<string, ImportedMedia>();
  const byBase = new Map<string, ImportedMedia>();
  for (const file of media) {
    if (!byName.has(lower(file.name))) byName.set(lower(file.name), file);
    if (!byBase.has(withoutExtension(file.name))) byBase.set(withoutExtension(file.name), file);
  }
  return (item) => {
    if (item.source.kind !== 'media') return undefined;
    const { fileName, clipName, reel } = item.source;
    if (fileName) {
      const found = byName.get(lower(fileName));
      if (found) return found;
    }
    if (clipName) {
      const found = byName.get(lower(clipName)) ?? byBase.get(lower(clipName)) ?? byBase.get(withoutExtension(clipName));
      if (found) return found;
    }
    if (reel) return byBase.get(lower(reel));
    return undefined;
  };
}
