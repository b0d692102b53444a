import { useEffect, useState } from 'preact/hooks';
import { ok } from '../../api/client.js';
import { formatHns } from '../../shared/time-format.js';
import type { EditorContext } from '../editor-context.js';

/** A clip's timeline thumbnails (`/api/clip_thumbnails`), evenly spread; a click seeks there. */
export function ThumbnailStrip({
  context,
  mediaId,
  durationHns,
  onSeek,
}: {
  context: EditorContext;
  mediaId: string;
  durationHns: number;
  onSeek: (hns: number) => void;
}) {
  const [thumbnails, setThumbnails] = useState<Array<{ time: number; data: string }>>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    if (durationHns <= 0) {
      setThumbnails([]);
      return;
    }
    const count = 10;
    const step = Math.max(1, Math.floor(durationHns / count));
    ok(context.api.GET('/api/clip_thumbnails', { params: { query: { id: mediaId, start_time: 0, step, count } } }))
      .then((answer) => {
        setThumbnails(answer.thumbnails);
        setError('');
      })
      .catch((failure: Error) => setError(failure.message));
  }, [mediaId, durationHns]);
  if (error) return <p class="error">Thumbnails: {error}</p>;
  return (
    <ul class="strip" aria-label="Timeline thumbnails" data-testid="thumbnail-strip">
      {thumbnails.map((thumbnail) => (
        <li key={thumbnail.time}>
          <button
            type="button"
            class="secondary"
            style={{ padding: 0 }}
            onClick={() => onSeek(thumbnail.time)}
            aria-label={`Seek to ${formatHns(thumbnail.time)}`}
          >
            <img src={`data:image/png;base64,${thumbnail.data}`} alt="" />
          </button>
        </li>
      ))}
    </ul>
  );
}
