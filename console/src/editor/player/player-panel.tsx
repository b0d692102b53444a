import { useEffect, useRef, useState } from 'preact/hooks';
import type { MediaEntry } from '../../api/types.js';
import { formatHns, hnsToSeconds, secondsToHns } from '../../shared/time-format.js';
import type { EditorContext } from '../editor-context.js';
import { newClipId, timelineDurationHns, type MediaRef } from '../timeline/timeline-model.js';
import { ThumbnailStrip } from './thumbnail-strip.js';

/**
 * Plays the selected entry through its `previewUrl` (a signed URL that serves byte ranges, so the
 * browser seeks), shows its thumbnail strip, and puts the marked part on the timeline.
 */
export function PlayerPanel({ context }: { context: EditorContext }) {
  const entry = context.selected;
  const video = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  const [positionHns, setPositionHns] = useState(0);
  const [marks, setMarks] = useState<{ inHns: number; outHns: number }>({ inHns: 0, outHns: 0 });

  useEffect(() => {
    setPositionHns(0);
    setMarks({ inHns: 0, outHns: entry?.duration ?? 0 });
  }, [entry?.id, entry?.duration]);

  if (!entry) return <p class="muted">Select a file in the library to play it here.</p>;
  const playable = entry.status === 'ready' && !entry.error && entry.previewUrl;
  const durationHns = entry.duration;
  const seek = (hns: number) => {
    if (video.current) video.current.currentTime = hnsToSeconds(hns);
    setPositionHns(hns);
  };
  const ref = (): MediaRef => ({
    mediaId: entry.id,
    name: entry.name,
    mediaType: entry.mediaType as MediaRef['mediaType'],
    durationHns: entry.duration,
    width: entry.width,
    height: entry.height,
  });
  const imageLength = 50_000_000;
  const inHns = marks.inHns;
  const outHns = entry.mediaType === 'image' ? imageLength : marks.outHns > inHns ? marks.outHns : durationHns;

  return (
    <div class="player">
      <h3>{entry.name}</h3>
      {!playable && <p class="muted">{entry.error ? 'This file cannot be played.' : `Not ready yet (${entry.status} ${entry.progress}%).`}</p>}
      {playable && entry.mediaType === 'video' && (
        <video
          ref={video}
          src={entry.previewUrl!}
          controls
          preload="metadata"
          data-testid="preview-video"
          onTimeUpdate={(e) => setPositionHns(secondsToHns((e.target as HTMLVideoElement).currentTime))}
          aria-label={`Preview of ${entry.name}`}
        />
      )}
      {playable && entry.mediaType === 'audio' && (
        <audio
          ref={video}
          src={entry.previewUrl!}
          controls
          preload="metadata"
          onTimeUpdate={(e) => setPositionHns(secondsToHns((e.target as HTMLAudioElement).currentTime))}
          aria-label={`Preview of ${entry.name}`}
        />
      )}
      {playable && entry.mediaType === 'image' && <img src={entry.previewUrl!} alt={`Preview of ${entry.name}`} />}
      {playable && entry.mediaType !== 'image' && (
        <>
          <div class="row">
            <label for="seek">Position</label>
            <input
              id="seek"
              type="range"
              min={0}
              max={durationHns}
              step={100_000}
              value={positionHns}
              onInput={(e) => seek(Number((e.target as HTMLInputElement).value))}
            />
            <span data-testid="position">{formatHns(positionHns)}</span> / {formatHns(durationHns)}
          </div>
          <div class="row">
            <button class="secondary" type="button" onClick={() => setMarks((m) => ({ ...m, inHns: positionHns }))}>
              Mark in
            </button>
            <button class="secondary" type="button" onClick={() => setMarks((m) => ({ ...m, outHns: positionHns }))}>
              Mark out
            </button>
            <span class="muted">
              in {formatHns(inHns)} · out {formatHns(outHns)}
            </span>
          </div>
          <ThumbnailStrip context={context} mediaId={entry.id} durationHns={durationHns} onSeek={seek} />
        </>
      )}
      {playable && (
        <div class="row">
          {entry.mediaType !== 'audio' && (
            <button
              type="button"
              onClick={() =>
                context.edit(`add ${entry.name}`, (t) => ({ ...t, main: [...t.main, { ...ref(), id: newClipId(), inHns, outHns, transition: null }] }))
              }
            >
              Add to main track
            </button>
          )}
          {entry.mediaType !== 'audio' && (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                context.edit(`overlay ${entry.name}`, (t) => ({
                  ...t,
                  overlays: [
                    ...t.overlays,
                    { ...ref(), id: newClipId(), kind: 'media', startHns: 0, inHns, outHns, box: { xPct: 60, yPct: 10, widthPct: 30 } },
                  ],
                }))
              }
            >
              Add as overlay
            </button>
          )}
          {entry.mediaType !== 'image' && (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                context.edit(`sound ${entry.name}`, (t) => ({
                  ...t,
                  sound: [
                    ...t.sound,
                    {
                      ...ref(),
                      id: newClipId(),
                      origin: 'library',
                      startHns: 0,
                      inHns,
                      outHns: Math.min(outHns, inHns + Math.max(timelineDurationHns(t), 100_000_000)),
                      volume: 1,
                    },
                  ],
                }))
              }
            >
              Add as sound
            </button>
          )}
        </div>
      )}
    </div>
  );
}

export type { MediaEntry };
