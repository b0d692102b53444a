/** What the library shows: a folder, a search, an order, a filter and a page, as `/api/mediafiles` takes them. */

export const FILTERS = ['video', 'audio', 'image', 'folder', 'voiceover'] as const;
export type LibraryFilter = (typeof FILTERS)[number];
export type SortField = 'name' | 'createTime' | 'size' | 'duration';

export interface LibraryQuery {
  folder: string | undefined;
  search: string;
  sortField: SortField;
  sortOrder: 'asc' | 'desc';
  filters: LibraryFilter[];
  start: number;
  count: number;
}

export const initialQuery: LibraryQuery = { folder: undefined, search: '', sortField: 'createTime', sortOrder: 'desc', filters: [], start: 0, count: 12 };

export function toApiQuery(query: LibraryQuery) {
  return {
    start_number: query.start,
    count: query.count,
    sort_field: query.sortField,
    sort_order: query.sortOrder,
    ...(query.search ? { search: query.search } : {}),
    ...(query.filters.length > 0 ? { filter: query.filters.join(',') } : {}),
    ...(query.folder ? { folder: query.folder } : {}),
  };
}

/** An entry whose ingest (or upload, import, render) is still under way. */
export function isWorking(entry: { status: string; progress: number; error: unknown; type: string; filetype: string }): boolean {
  if (entry.filetype === 'folder' || entry.error) return false;
  return entry.status !== 'ready' || entry.progress < 100;
}
