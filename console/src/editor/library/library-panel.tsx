import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, ok } from '../../api/client.js';
import type { MediaEntry } from '../../api/types.js';
import { formatBytes, formatHns } from '../../shared/time-format.js';
import type { EditorContext } from '../editor-context.js';
import { FILTERS, initialQuery, isWorking, toApiQuery, type LibraryQuery, type SortField } from './library-query.js';
import { useLiveStatus } from './use-live-status.js';

/** The media library: folders, search, sort, filter, paging, thumbnails and live ingest status. */
export function LibraryPanel({ context }: { context: EditorContext }) {
  const [query, setQuery] = useState<LibraryQuery>(initialQuery);
  const [path, setPath] = useState<Array<{ id: string; name: string }>>([]);
  const [entries, setEntries] = useState<MediaEntry[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState('');
  const [folderName, setFolderName] = useState('');

  // Answers can come back out of order when the query changes quickly: only the newest counts.
  const latest = useRef(0);
  const load = async () => {
    const request = ++latest.current;
    try {
      const page = await ok(context.api.GET('/api/mediafiles', { params: { query: toApiQuery(query) } }));
      if (request !== latest.current) return;
      setEntries(page.entries);
      setTotal(page.total_count);
      setError('');
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  useEffect(() => void load(), [query, context.libraryVersion]);
  useLiveStatus(context, entries, (fresh) => {
    setEntries((all) => all.map((e) => (e.id === fresh.id ? fresh : e)));
    if (context.selected?.id === fresh.id) context.select(fresh);
  });

  const change = (patch: Partial<LibraryQuery>) => setQuery((q) => ({ ...q, start: 0, ...patch }));
  const goTo = (next: Array<{ id: string; name: string }>) => {
    setPath(next);
    change({ folder: next[next.length - 1]?.id });
  };

  async function createFolder(event: Event): Promise<void> {
    event.preventDefault();
    try {
      await ok(context.api.POST('/api/folders', { body: { name: folderName, ...(query.folder ? { folder: query.folder } : {}) } }));
      setFolderName('');
      await load();
    } catch (failure) {
      setError((failure as Error).message);
    }
  }

  async function remove(entry: MediaEntry): Promise<void> {
    const isFolder = entry.filetype === 'folder';
    const del = (force: boolean) =>
      isFolder
        ? ok(context.api.DELETE('/api/folders/{id}', { params: { path: { id: entry.id }, query: force ? { force: '1' } : {} } }))
        : ok(context.api.DELETE('/api/mediafiles/{id}', { params: { path: { id: entry.id }, query: force ? { force: '1' } : {} } }));
    try {
      await del(false);
    } catch (failure) {
      if (failure instanceof ApiError && failure.type === 'used_in_projects') {
        if (!window.confirm(`${failure.message}\nDelete it anyway?`)) return;
        await del(true);
      } else {
        setError((failure as Error).message);
        return;
      }
    }
    if (context.selected?.id === entry.id) context.select(undefined);
    context.announce(`${entry.name} deleted`);
    await load();
  }

  const pages = Math.max(1, Math.ceil(total / query.count));
  const page = Math.floor(query.start / query.count) + 1;

  return (
    <div>
      <nav aria-label="Folders" class="row">
        <button class="secondary" type="button" onClick={() => goTo([])} aria-current={path.length === 0 ? 'page' : undefined}>
          Library
        </button>
        {path.map((folder, i) => (
          <span key={folder.id}>
            ›{' '}
            <button class="secondary" type="button" onClick={() => goTo(path.slice(0, i + 1))} aria-current={i === path.length - 1 ? 'page' : undefined}>
              {folder.name}
            </button>
          </span>
        ))}
      </nav>
      <div class="row">
        <label for="library-search">Search media</label>
        <input id="library-search" type="search" value={query.search} onInput={(e) => change({ search: (e.target as HTMLInputElement).value })} />
        <label for="library-sort">Sort by</label>
        <select id="library-sort" value={query.sortField} onChange={(e) => change({ sortField: (e.target as HTMLSelectElement).value as SortField })}>
          <option value="createTime">date added</option>
          <option value="name">name</option>
          <option value="size">size</option>
          <option value="duration">duration</option>
        </select>
        <label for="library-order">Order</label>
        <select id="library-order" value={query.sortOrder} onChange={(e) => change({ sortOrder: (e.target as HTMLSelectElement).value as 'asc' | 'desc' })}>
          <option value="desc">descending</option>
          <option value="asc">ascending</option>
        </select>
        <fieldset class="row" style={{ border: 'none', margin: 0, padding: 0 }}>
          <legend class="sr-only">Show only</legend>
          {FILTERS.map((filter) => (
            <label key={filter}>
              <input
                type="checkbox"
                checked={query.filters.includes(filter)}
                onChange={(e) =>
                  change({ filters: (e.target as HTMLInputElement).checked ? [...query.filters, filter] : query.filters.filter((f) => f !== filter) })
                }
              />{' '}
              {filter}
            </label>
          ))}
        </fieldset>
      </div>
      <form class="row" onSubmit={(e) => void createFolder(e)}>
        <label for="new-folder">New folder</label>
        <input id="new-folder" type="text" value={folderName} onInput={(e) => setFolderName((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={folderName.trim() === ''}>
          Create folder
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="muted" aria-live="polite">
        {total} {total === 1 ? 'entry' : 'entries'}
      </p>
      <ul class="media-grid" aria-label="Media">
        {entries.map((entry) => (
          <li
            key={entry.id}
            class={`media-card${context.selected?.id === entry.id ? ' selected' : ''}`}
            data-testid="media-card"
            data-name={entry.name}
            data-status={entry.status}
            data-progress={entry.progress}
          >
            <button
              class="open"
              type="button"
              onClick={() => (entry.filetype === 'folder' ? goTo([...path, { id: entry.id, name: entry.name }]) : context.select(entry))}
              aria-label={entry.filetype === 'folder' ? `Open folder ${entry.name}` : `Select ${entry.name}`}
            >
              {entry.thumbnail ? <img src={`data:image/png;base64,${entry.thumbnail}`} alt="" /> : <div class="no-thumb" aria-hidden="true" />}
              <span class="name">{entry.filetype === 'folder' ? `Folder: ${entry.name}` : entry.name}</span>
            </button>
            {entry.filetype !== 'folder' && (
              <div class="muted">
                {entry.mediaType} · {formatHns(entry.duration)} · {formatBytes(entry.size)}
              </div>
            )}
            {isWorking(entry) && (
              <div>
                <progress max={100} value={entry.progress} aria-label={`${entry.name}: ${entry.status}`} />{' '}
                <span class="muted">
                  {entry.status} {entry.progress}%
                </span>
              </div>
            )}
            {entry.error && <div class="error">{(entry.error as { message?: string }).message ?? 'failed'}</div>}
            {entry.type !== 'test' && (
              <button class="secondary" type="button" onClick={() => void remove(entry)} aria-label={`Delete ${entry.name}`}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
      <div class="row">
        <button class="secondary" type="button" disabled={query.start === 0} onClick={() => setQuery((q) => ({ ...q, start: Math.max(0, q.start - q.count) }))}>
          Previous page
        </button>
        <span>
          Page {page} of {pages}
        </span>
        <button
          class="secondary"
          type="button"
          disabled={query.start + query.count >= total}
          onClick={() => setQuery((q) => ({ ...q, start: q.start + q.count }))}
        >
          Next page
        </button>
      </div>
    </div>
  );
}
