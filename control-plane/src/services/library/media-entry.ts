import type { FolderRow } from '../../db/folders-repository.js';
import type { ListedMediaRow } from '../../db/media-repository.js';
import type { MediaError, MediaStatus } from '../../db/schema.js';

/**
 * The editor API's media_file_entry_object, as every media endpoint answers it. Numbers the library
 * does not know yet are 0; strings it does not have are "" (the editor API's fields are never null);
 * `error` is null when there is none. `createTime` (unix ms) and `folder` (the parent folder id,
 * null at the root) are additions the editor API's client ignores.
 */
export interface MediaEntry {
  id: string;
  name: string;
  /** test | uploaded | url | output | voiceover; `folder` for folder entries. */
  type: string;
  /** mp4, mov, mp3, png, m4a, jpg, mxf, webm, ...; `folder` for folder entries. */
  filetype: string;
  /** video | audio | image; `folder` for folder entries. */
  mediaType: string;
  /** 100 ns units. */
  duration: number;
  /** Bytes. */
  size: number;
  width: number;
  height: number;
  /** PNG, base64; "" until ingest has made it. */
  thumbnail: string;
  /** "" while there are no stored bytes to play. */
  previewUrl: string;
  originalUrl: string;
  audioTracks: string[];
  status: MediaStatus;
  progress: number;
  error: MediaError | null;
  /** The render task of an output, else the ingest task; "" when none. */
  taskId: string;
  /** Audio library files: the ids of their category and mood; "" otherwise. */
  categoryId: string;
  moodId: string;
  createTime: number;
  folder: string | null;
}

export interface PlayableUrls {
  previewUrl: string | null;
  originalUrl: string | null;
}

export function mediaEntry(row: ListedMediaRow, urls: PlayableUrls): MediaEntry {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    filetype: row.filetype,
    mediaType: row.media_type,
    duration: row.duration_hns,
    size: row.size_bytes,
    width: row.width,
    height: row.height,
    thumbnail: row.thumbnail ?? '',
    previewUrl: urls.previewUrl ?? '',
    originalUrl: urls.originalUrl ?? '',
    audioTracks: row.audio_tracks,
    status: row.status,
    progress: row.progress,
    error: row.error,
    taskId: row.task_id ?? '',
    categoryId: row.category_id ?? '',
    moodId: row.mood_id ?? '',
    createTime: row.create_time_ms,
    folder: row.folder_id,
  };
}

export function folderEntry(row: FolderRow): MediaEntry {
  return {
    id: row.id,
    name: row.name,
    type: 'folder',
    filetype: 'folder',
    mediaType: 'folder',
    duration: 0,
    size: 0,
    width: 0,
    height: 0,
    thumbnail: '',
    previewUrl: '',
    originalUrl: '',
    audioTracks: [],
    status: 'ready',
    progress: 100,
    error: null,
    taskId: '',
    categoryId: '',
    moodId: '',
    createTime: row.create_time_ms,
    folder: row.parent_id,
  };
}
