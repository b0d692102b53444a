import { useEffect, useRef, useState } from 'preact/hooks';
import { ok } from '../../api/client.js';
import type { MediaEntry } from '../../api/types.js';
import { formatHns } from '../../shared/time-format.js';
import type { EditorContext } from '../editor-context.js';
import { newClipId, timelineDurationHns } from '../timeline/timeline-model.js';
import type { EditorFeature } from './registry.js';

type LibraryType = 'music' | 'sound';

/** The shared audio library (`/api/audiolib_files`): browse music and sounds, listen, put one under the timeline. */
function AudioLibraryPanel({ context }: { context: EditorContext }) {
  const [type, setType] = useState<LibraryType>('music');
  const [category, setCategory] = useState('');
  const [mood, setMood] = useState('');
  const [search, setSearch] = useState('');
  const [categories, setCategories] = useState<Array<{ id: string; name: string; entriesCount: number }>>([]);
  const [moods, setMoods] = useState<Array<{ id: string; name: string; entriesCount: number }>>([]);
  const [entries, setEntries] = useState<MediaEntry[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState('');

  useEffect(() => {
    setCategory('');
    setMood('');
    Promise.all([
      ok(context.api.GET('/api/audiolib_files/categories', { params: { query: { type } } })),
      ok(context.api.GET('/api/audiolib_files/moods', { params: { query: { type } } })),
    ])
      .then(([c, m]) => {
        setCategories(c.entries);
        setMoods(m.entries);
      })
      .catch((failure: Error) => setError(failure.message));
  }, [type]);

  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const request = ++latest.current;
    const query = { type, count: 20, ...(category ? { category_id: category } : {}), ...(mood ? { mood_id: mood } : {}), ...(search ? { search } : {}) };
    ok(context.api.GET('/api/audiolib_files', { params: { query } }))
      .then((page) => {
        if (request !== latest.current) return;
        setEntries(page.entries as MediaEntry[]);
        setTotal(page.total_count);
        setError('');
      })
      .catch((failure: Error) => setError(failure.message));
  }, [type, category, mood, search, tick]);
  // Files the operator just imported are still being probed: look again until they are ready.
  useEffect(() => {
    if (!entries.some((e) => e.status !== 'ready' && !e.error)) return;
    const timer = setTimeout(() => setTick((t) => t + 1), 2000);
    return () => clearTimeout(timer);
  }, [entries]);

  // Read the file again first: its length is the one ingest measured, not the list's snapshot.
  const add = async (listed: MediaEntry) => {
    const entry = (await ok(context.api.GET('/api/audiolib_files/{id}', { params: { path: { id: listed.id } } })).catch(() => listed)) as MediaEntry;
    context.edit(`music ${entry.name}`, (t) => {
      const lengthHns = Math.min(entry.duration, Math.max(timelineDurationHns(t), 100_000_000));
      return {
        ...t,
        sound: [
          ...t.sound,
          {
            mediaId: entry.id,
            name: entry.name,
            mediaType: 'audio',
            durationHns: entry.duration,
            width: 0,
            height: 0,
            id: newClipId(),
            origin: 'audiolib',
            startHns: 0,
            inHns: 0,
            outHns: lengthHns,
            volume: 0.5,
          },
        ],
      };
    });
  };

  return (
    <div>
      <div class="row">
        <label for="audiolib-type">Library</label>
        <select id="audiolib-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as LibraryType)}>
          <option value="music">music</option>
          <option value="sound">sounds</option>
        </select>
        <label for="audiolib-category">Category</label>
        <select id="audiolib-category" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
          <option value="">any</option>
          {categories.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.entriesCount})
            </option>
          ))}
        </select>
        <label for="audiolib-mood">Mood</label>
        <select id="audiolib-mood" value={mood} onChange={(e) => setMood((e.target as HTMLSelectElement).value)}>
          <option value="">any</option>
          {moods.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} ({m.entriesCount})
            </option>
          ))}
        </select>
        <label for="audiolib-search">Search the audio library</label>
        <input id="audiolib-search" type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
      </div>
      {error && <p class="error">{error}</p>}
      <p class="muted">{total} in the library</p>
      <ul aria-label="Audio library" style={{ listStyle: 'none', padding: 0 }}>
        {entries.map((entry) => (
          <li key={entry.id} class="clip-row" data-testid="audiolib-entry" data-name={entry.name}>
            <strong>{entry.name}</strong>
            <span class="muted">{formatHns(entry.duration)}</span>
            {entry.previewUrl && <audio src={entry.previewUrl} controls preload="none" aria-label={`Listen to ${entry.name}`} />}
            {entry.status === 'ready' && entry.duration > 0 ? (
              <button type="button" class="secondary" onClick={() => void add(entry)} aria-label={`Add to sound: ${entry.name}`}>
                Add to sound
              </button>
            ) : (
              <span class="muted">{entry.error ? 'unusable' : `preparing ${entry.progress}%`}</span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

export const audioLibraryFeature: EditorFeature = {
  id: 'audio-library',
  title: 'Audio library',
  requires: ['/api/audiolib_files', '/api/audiolib_files/categories', '/api/audiolib_files/moods'],
  Panel: AudioLibraryPanel,
};
