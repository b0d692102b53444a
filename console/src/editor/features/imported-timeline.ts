import { emptyTimeline, newClipId, type MainClip, type Timeline } from '../timeline/timeline-model.js';

/**
 * An imported project's `data` (docs/timeline.md: tracks of items in frames) as the console's
 * timeline: the first picture track's clips at normal speed become the main track, dissolves
 * become crossfades, and the first sound track's clips sound clips. What the console's timeline
 * cannot hold (speed changes, black, gaps, wipes, more tracks) is left out and named, so the
 * editor can say what it dropped; the project's own XTL (`/api/projects/<id>/xtl`) renders all of it.
 */

interface ImportedItem {
  type: 'clip' | 'black' | 'gap';
  event: string;
  start: number;
  end: number;
  media?: string;
  mediaName?: string;
  in?: number;
  out?: number;
  speed?: number;
  transitionIn?: { type: string; frames: number };
}

export interface ImportedTimeline {
  format: 'cutroom-timeline';
  name: string;
  fps: string;
  tracks: Array<{ name: string; kind: 'video' | 'audio'; items: ImportedItem[] }>;
}

export function isImportedTimeline(data: unknown): data is ImportedTimeline {
  return typeof data === 'object' && data !== null && (data as { format?: unknown }).format === 'cutroom-timeline';
}

export function fromImportedTimeline(imported: ImportedTimeline): { timeline: Timeline; dropped: string[] } {
  const [num, den = '1'] = imported.fps.split('/');
  const fps = Number(num) / Number(den);
  const hns = (frames: number) => Math.round((frames / fps) * 10_000_000);
  const timeline = emptyTimeline();
  timeline.output.name = `${imported.name || 'imported'}.mp4`;
  const dropped: string[] = [];
  const video = imported.tracks.filter((t) => t.kind === 'video');
  const audio = imported.tracks.filter((t) => t.kind === 'audio');
  for (const track of [...video.slice(1), ...audio.slice(1)]) if (track.items.length > 0) dropped.push(`track ${track.name}`);

  let previousEnd = 0;
  for (const item of video[0]?.items ?? []) {
    const usable = item.type === 'clip' && item.media && (item.speed ?? 1) === 1 && item.in !== undefined && item.out !== undefined;
    if (!usable) {
      dropped.push(`event ${item.event} (${item.type === 'clip' ? `speed ${item.speed}` : item.type})`);
      continue;
    }
    const overlap = item.transitionIn && timeline.main.length > 0 && item.start < previousEnd ? item.transitionIn.frames : 0;
    if (item.transitionIn && item.transitionIn.type !== 'dissolve') dropped.push(`event ${item.event}'s ${item.transitionIn.type} (a crossfade instead)`);
    const clip: MainClip = {
      id: newClipId(),
      mediaId: item.media!,
      name: item.mediaName ?? item.media!,
      mediaType: 'video',
      durationHns: 0,
      width: 0,
      height: 0,
      inHns: hns(item.in!),
      // The clip before a transition runs on under it: its out point is in the source already.
      outHns: hns(item.out!),
      transition: overlap > 0 ? { type: 'crossfade', durationHns: hns(overlap) } : null,
    };
    timeline.main.push(clip);
    previousEnd = item.end;
  }
  for (const item of audio[0]?.items ?? []) {
    if (item.type !== 'clip' || !item.media || (item.speed ?? 1) !== 1 || item.in === undefined || item.out === undefined) continue;
    timeline.sound.push({
      id: newClipId(),
      mediaId: item.media,
      name: item.mediaName ?? item.media,
      mediaType: 'audio',
      durationHns: 0,
      width: 0,
      height: 0,
      origin: 'library',
      startHns: hns(item.start),
      inHns: hns(item.in),
      outHns: hns(item.out),
      volume: 1,
    });
  }
  return { timeline, dropped };
}
