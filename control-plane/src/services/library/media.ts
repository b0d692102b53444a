import type { Kysely } from 'kysely';
import { FoldersRepository } from '../../db/folders-repository.js';
import { MediaProbesRepository } from '../../db/media-probes-repository.js';
import type { DB, MediaError, MediaKind, MediaStatus, MediaType, ThumbnailsIndex } from '../../db/schema.js';
import {
  MediaRepository,
  type EntryFilter,
  type MediaChanges,
  type ListedMediaRow,
  type ListScope,
  type MediaRow,
  type SortField,
  type SortOrder,
} from '../../db/media-repository.js';
import { forbidden, notFound, unsupportedMedia, usedInProjects } from '../../http/errors.js';
import { newId } from '../../ids.js';
import { contentTypeFor } from '../../storage/content-types.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { folderEntry, mediaEntry, type MediaEntry, type PlayableUrls } from './media-entry.js';
import { mediaFormatOf } from './media-formats.js';
import { mediaObjectKey, mediaObjectPrefix, type MediaObjectRole } from './media-object-keys.js';
import { MediaListAnswers } from './media-list-answers.js';
import type { MediaUsage } from './media-usage.js';
import type { ObjectDeletionQueue, ObjectToDelete } from './object-deletion-queue.js';
import type { StorageQuota } from './storage-quota.js';

export interface MediaServiceOptions {
  /** Validity of previewUrl / originalUrl. */
  urlTtlS: number;
  /** Bytes of list answers kept for reuse (default 32 MiB; 0: none). */
  listAnswerBytes?: number;
}

export interface MediaListQuery {
  startNumber: number;
  count: number;
  filter: EntryFilter;
  sortField: SortField;
  sortOrder: SortOrder;
  search?: string | undefined;
  /** Null: the root. */
  folderId: string | null;
}

export interface MediaList {
  total_count: number;
  entries: MediaEntry[];
}

export interface MediaState {
  status: MediaStatus;
  progress: number;
  error: MediaError | null;
}

/** What a new entry is made of; unset probe fields start at 0 / empty until ingest fills them. */
export interface NewMedia {
  /** Null only for shared `test` media. */
  ownerId: string | null;
  /** Null or unset: the root. Must be the owner's folder (404 otherwise). */
  folderId?: string | null | undefined;
  /** Display name; never used in storage keys. */
  name: string;
  type: MediaKind;
  status: MediaStatus;
  progress?: number | undefined;
  /** Default: from the name's extension (514 unsupported_media when it names no media format). */
  filetype?: string | undefined;
  mediaType?: MediaType | undefined;
  /** Declared or known size; counted against the owner's quota from now on. */
  sizeBytes?: number | undefined;
  durationHns?: number | undefined;
  width?: number | undefined;
  height?: number | undefined;
  audioTracks?: string[] | undefined;
  thumbnail?: string | null | undefined;
  taskId?: string | null | undefined;
  categoryId?: string | null | undefined;
  moodId?: string | null | undefined;
  source?: string | null | undefined;
  createTimeMs?: number | undefined;
  /** Check MAX_FILE_SIZE, MAX_USER_BYTES and the disk floor for `sizeBytes` (default: true for a user's media). */
  enforceQuota?: boolean | undefined;
}

/** Fields of an entry that change as work proceeds; unset ones are left as they are. */
export interface MediaPatch {
  name?: string;
  status?: MediaStatus;
  progress?: number;
  error?: MediaError | null;
  filetype?: string;
  mediaType?: MediaType;
  durationHns?: number;
  sizeBytes?: number;
  width?: number;
  height?: number;
  thumbnail?: string | null;
  audioTracks?: string[];
  taskId?: string | null;
  originalKey?: string | null;
  proxyKey?: string | null;
  thumbnailsKey?: string | null;
  thumbnailsIndex?: ThumbnailsIndex | null;
  sourceVersion?: string | null;
}

/**
 * The media library's files: the answers of the media endpoints, and what the upload, import,
 * ingest, render and projects features use to make and advance entries:
 * - `create` an entry (with its initial status; quota-checked atomically),
 * - `update` its status / progress / error, probe fields (duration, size, dimensions, tracks,
 *   thumbnail) and storage keys, optionally guarded by the status it must have,
 * - `objectKey` to name where its original, proxy or thumbnail pack is stored,
 * - `checkQuota` before accepting bytes, `playableUrls` for signed playback URLs,
 * - `find` (internal, any owner) / `findVisible` (a user's view) / `describe` / `describeMany`
 *   (a project's media: the MediaCatalog of the projects service) / `list`,
 * - `delete` (row and every stored object, refusing `used_in_projects` unless forced).
 * Shared media (owner null: `test` media and the audio library) are visible to every user and
 * read-only to them.
 */
/** ffprobe's JSON of an original above this size is not kept (a typical file's is a few kB). */
const MAX_KEPT_PROBE_CHARS = 64 * 1024;

export class MediaService {
  private readonly rows: MediaRepository;
  private readonly folders: FoldersRepository;
  private readonly probes: MediaProbesRepository;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly store: ObjectStore,
    private readonly usage: MediaUsage,
    private readonly deletions: ObjectDeletionQueue,
    private readonly quota: StorageQuota,
    private readonly options: MediaServiceOptions,
  ) {
    this.rows = new MediaRepository(db);
    this.folders = new FoldersRepository(db);
    this.probes = new MediaProbesRepository(db);
    this.listAnswers = new MediaListAnswers(
      this.rows,
      (viewerId, query) => this.list(viewerId, query),
      (nowMs) => this.urlWindowStartMs(nowMs),
      options.listAnswerBytes ?? 32 * 2 ** 20,
    );
  }

  /** `list`'s answers as JSON bytes, reused while the library is unchanged. */
  readonly listAnswers: MediaListAnswers;

  /** A folder's entries as the editor API's list answer: sub-folders first, then files. */
  async list(viewerId: string, query: MediaListQuery): Promise<MediaList> {
    const scope: ListScope = {
      viewerId,
      folderId: query.folderId,
      filter: query.filter,
      search: query.search,
      sortField: query.sortField,
      sortOrder: query.sortOrder,
    };
    // One statement for every count (and whether the folder is the viewer's) and the page's own
    // files; a second only where the page shows folders or shared test media.
    const start = query.startNumber;
    const end = start + query.count;
    const { counts, ownPage } = await this.rows.countAndPageListing(scope, start, query.count);
    if (!counts.folderFound) throw notFound(`no folder ${query.folderId}`);
    const folderCount = counts.folders;
    const mediaCount = counts.own + counts.shared;
    // Folders fill positions [0, folderCount), files follow: each page is cut from both in turn.
    const mediaOffset = Math.max(0, start - folderCount);
    const mediaLimit = Math.min(mediaCount - mediaOffset, end - Math.max(start, folderCount));
    const [folders, media] = await Promise.all([
      start < folderCount ? this.folders.pageOfChildren(scope, start, Math.min(end, folderCount) - start) : [],
      mediaLimit <= 0 ? [] : (ownPage ?? this.rows.pageOfListed(scope, counts.shared > 0, mediaOffset, mediaLimit)),
    ]);
    const entries = [...folders.map(folderEntry), ...(await Promise.all(media.map((row) => this.entryOf(row))))];
    return { total_count: folderCount + mediaCount, entries };
  }

  /** One entry a user may see (theirs or shared), a file or one of their folders (as listed); 404 otherwise. */
  async describe(viewerId: string, id: string): Promise<MediaEntry> {
    const row = await this.rows.findVisible(viewerId, id);
    if (row) return this.entryOf(row);
    const folder = await this.folders.findOwn(viewerId, id);
    if (folder) return folderEntry(folder);
    throw notFound(`no media file ${id}`);
  }

  /**
   * The entries among `ids` a user may see (theirs or shared), in the order asked; other ids
   * are left out (a project's media list: its index may hold any id-shaped token).
   */
  async describeMany(viewerId: string, ids: string[]): Promise<MediaEntry[]> {
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return [];
    const rows = await this.rows.visibleByIds(viewerId, wanted);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const visible = wanted.map((id) => byId.get(id)).filter((row): row is MediaRow => row !== undefined);
    return Promise.all(visible.map((row) => this.entryOf(row)));
  }

  /** The status of a file, or of one of the user's folders (always ready); 404 otherwise. */
  async state(viewerId: string, id: string): Promise<MediaState> {
    const row = await this.rows.findVisible(viewerId, id);
    if (row) return { status: row.status, progress: row.progress, error: row.error };
    if (await this.folders.findOwn(viewerId, id)) return { status: 'ready', progress: 100, error: null };
    throw notFound(`no media file ${id}`);
  }

  /** The row of an entry a user may see (their own or shared); 404 otherwise. */
  async findVisible(viewerId: string, id: string): Promise<MediaRow> {
    const row = await this.rows.findVisible(viewerId, id);
    if (!row) throw notFound(`no media file ${id}`);
    return row;
  }

  /** Any entry by id, whoever owns it (for internal callers such as tasks). */
  async find(id: string): Promise<MediaRow | undefined> {
    return this.rows.find(id);
  }

  /** The answer for a row, with fresh signed URLs. */
  async entryOf(row: ListedMediaRow): Promise<MediaEntry> {
    return mediaEntry(row, await this.playableUrls(row));
  }

  /**
   * Makes an entry. With a size and `enforceQuota`, the quota check and the insert happen in one
   * transaction under the owner's lock, so concurrent creations cannot exceed MAX_USER_BYTES.
   * Pass a transaction to make the entry atomically with other rows (a render's task).
   */
  async create(input: NewMedia, inTransaction?: Kysely<DB>): Promise<MediaRow> {
    const format =
      input.filetype !== undefined && input.mediaType !== undefined ? { filetype: input.filetype, mediaType: input.mediaType } : mediaFormatOf(input.name);
    if (!format) throw unsupportedMedia(`${JSON.stringify(input.name)} is not a media file the library supports`);
    const sizeBytes = input.sizeBytes ?? 0;
    const enforce = input.enforceQuota ?? input.ownerId !== null;
    const insert = async (trx: Kysely<DB>) => {
      // The folder cannot be deleted under the new entry until this commits.
      if (input.ownerId !== null && input.folderId && !(await this.folders.lockShared(trx, input.ownerId, input.folderId))) {
        throw notFound(`no folder ${input.folderId}`);
      }
      if (enforce) {
        if (input.ownerId !== null) await this.rows.lockQuota(trx, input.ownerId);
        await this.quota.check(trx, input.ownerId, sizeBytes);
      }
      return this.rows.insert(
        {
          id: newId(),
          owner_id: input.ownerId,
          folder_id: input.ownerId === null ? null : (input.folderId ?? null),
          name: input.name,
          type: input.type,
          filetype: format.filetype,
          media_type: format.mediaType,
          size_bytes: sizeBytes,
          duration_hns: input.durationHns ?? 0,
          width: input.width ?? 0,
          height: input.height ?? 0,
          audio_tracks: JSON.stringify(input.audioTracks ?? []),
          thumbnail: input.thumbnail ?? null,
          status: input.status,
          progress: clampProgress(input.progress ?? (input.status === 'ready' ? 100 : 0)),
          task_id: input.taskId ?? null,
          category_id: input.categoryId ?? null,
          mood_id: input.moodId ?? null,
          source: input.source ?? null,
          create_time_ms: input.createTimeMs ?? Date.now(),
        },
        trx,
      );
    };
    return inTransaction ? insert(inTransaction) : this.db.transaction().execute(insert);
  }

  /**
   * Changes an entry's fields. With `whenStatus`, only while the entry is in one of those
   * statuses (a lost race is a clean no-op). Answers the updated row, or undefined when the
   * entry is gone or the guard did not hold.
   */
  /**
   * Keeps ffprobe's answer for a media file's original, made at ingest: renders of it read this
   * instead of probing the same bytes again. An answer too large to be worth a row (thousands of
   * streams or tags) is not kept; renders then probe the file themselves.
   */
  async saveProbe(id: string, probe: unknown): Promise<void> {
    const json = JSON.stringify(probe);
    if (json.length <= MAX_KEPT_PROBE_CHARS) await this.probes.save(id, json);
  }

  /** ffprobe's answer for a media file's original, as ingest made it, if it was kept. */
  async probeOf(id: string): Promise<unknown> {
    const json = await this.probes.find(id);
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  }

  async update(id: string, patch: MediaPatch, whenStatus?: MediaStatus[], db: Kysely<DB> = this.db): Promise<MediaRow | undefined> {
    return this.rows.update(id, mediaChanges(patch), whenStatus, db);
  }

  /** Shorthand of `update` for the status line the editor polls. */
  async setState(id: string, state: Partial<MediaState>, whenStatus?: MediaStatus[]): Promise<MediaRow | undefined> {
    return this.update(id, state, whenStatus);
  }

  /** Where one of an entry's objects is (to be) stored. */
  objectKey(row: Pick<MediaRow, 'id' | 'owner_id'>, role: MediaObjectRole, extension: string): string {
    return mediaObjectKey(row.owner_id, row.id, role, extension);
  }

  /** Throws the editor API's 507 errors when `ownerId` may not add `incomingBytes` now. */
  async checkQuota(ownerId: string, incomingBytes: number): Promise<void> {
    await this.quota.check(this.db, ownerId, incomingBytes);
  }

  async quotaUsage(ownerId: string) {
    return this.quota.usage(this.db, ownerId);
  }

  /**
   * Signed, expiring URLs a browser can play and seek: previewUrl is the proxy when one was made,
   * else the original; originalUrl the original. Null while no bytes are stored. The validity
   * starts at the beginning of a window of a quarter of the TTL, so the same entry gets the same
   * URLs for a while (browsers cache them) and every URL stays valid for at least the TTL.
   */
  async playableUrls(row: Pick<MediaRow, 'original_key' | 'proxy_key'>): Promise<PlayableUrls> {
    const ttl = this.options.urlTtlS;
    const windowS = this.urlWindowS();
    const issuedAt = new Date(this.urlWindowStartMs(Date.now()));
    const sign = (key: string | null) =>
      key === null ? Promise.resolve(null) : this.store.signedGetUrl(key, { expiresInS: ttl + windowS, issuedAt, contentType: contentTypeFor(key) });
    const [originalUrl, proxyUrl] = await Promise.all([sign(row.original_key), sign(row.proxy_key)]);
    return { previewUrl: proxyUrl ?? originalUrl, originalUrl };
  }

  private urlWindowS(): number {
    return Math.max(60, Math.floor(this.options.urlTtlS / 4));
  }

  /** The start of the window URLs signed at `nowMs` are issued at. */
  private urlWindowStartMs(nowMs: number): number {
    const windowS = this.urlWindowS();
    return Math.floor(nowMs / 1000 / windowS) * windowS * 1000;
  }

  /**
   * Deletes a user's entry, its row and every stored object (original, proxy, thumbnails).
   * Refuses with `used_in_projects` (409) when a project mentions it, unless `force`.
   * Shared media (test media, the audio library) are read-only: 403.
   */
  async delete(viewerId: string, id: string, force: boolean): Promise<void> {
    const row = await this.findVisible(viewerId, id);
    if (row.owner_id === null) throw forbidden(readOnlyReason(row));
    if (!force) await this.assertUnused(viewerId, [id]);
    const queued = await this.db.transaction().execute(async (trx) => {
      const locked = await this.rows.lockOwn(trx, viewerId, id);
      if (!locked) throw notFound(`no media file ${id}`);
      return this.removeRows(trx, [locked]);
    });
    await this.deletions.drain(queued);
  }

  /** Throws `used_in_projects` when a project of the owner mentions any of these media. */
  async assertUnused(ownerId: string, mediaIds: string[]): Promise<void> {
    if (mediaIds.length === 0) return;
    const used = await this.usage.projectsUsing(ownerId, mediaIds);
    const usedIds = [...used.entries()].filter(([, projects]) => projects.length > 0);
    if (usedIds.length === 0) return;
    const projects = new Set(usedIds.flatMap(([, p]) => p));
    throw usedInProjects(
      `${usedIds.length === 1 ? 'the media file is' : `${usedIds.length} media files are`} used in ${projects.size} project(s): ` +
        `${[...projects].slice(0, 10).join(', ')}; delete with force=1 to remove anyway`,
    );
  }

  /**
   * Deletes rows inside the caller's transaction and queues their stored objects; answers the
   * queue ids to drain once the transaction has committed.
   */
  async removeRows(trx: Kysely<DB>, rows: MediaRow[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const objects: ObjectToDelete[] = [];
    for (const row of rows) {
      const prefix = mediaObjectPrefix(row.owner_id, row.id);
      objects.push({ key: prefix, isPrefix: true });
      for (const key of [row.original_key, row.proxy_key, row.thumbnails_key]) {
        if (key !== null && !key.startsWith(prefix)) objects.push({ key, isPrefix: false });
      }
    }
    await this.rows.deleteMany(
      trx,
      rows.map((r) => r.id),
    );
    return this.deletions.enqueue(trx, objects);
  }
}

/** Why a user cannot change a shared entry (a 403's message). */
export function readOnlyReason(row: Pick<MediaRow, 'type'>): string {
  return row.type === 'audiolib' ? 'audio library files are read-only' : 'shared test media are read-only';
}

/** The columns a patch changes, in the order of MediaPatch's fields, and `updated_at`. */
function mediaChanges(patch: MediaPatch): MediaChanges {
  const changes: MediaChanges = { updated_at: new Date() };
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.status !== undefined) changes.status = patch.status;
  if (patch.progress !== undefined) changes.progress = clampProgress(patch.progress);
  if (patch.error !== undefined) changes.error = patch.error === null ? null : JSON.stringify(patch.error);
  if (patch.filetype !== undefined) changes.filetype = patch.filetype;
  if (patch.mediaType !== undefined) changes.media_type = patch.mediaType;
  if (patch.durationHns !== undefined) changes.duration_hns = patch.durationHns;
  if (patch.sizeBytes !== undefined) changes.size_bytes = patch.sizeBytes;
  if (patch.width !== undefined) changes.width = patch.width;
  if (patch.height !== undefined) changes.height = patch.height;
  if (patch.thumbnail !== undefined) changes.thumbnail = patch.thumbnail;
  if (patch.audioTracks !== undefined) changes.audio_tracks = JSON.stringify(patch.audioTracks);
  if (patch.taskId !== undefined) changes.task_id = patch.taskId;
  if (patch.originalKey !== undefined) changes.original_key = patch.originalKey;
  if (patch.proxyKey !== undefined) changes.proxy_key = patch.proxyKey;
  if (patch.thumbnailsKey !== undefined) changes.thumbnails_key = patch.thumbnailsKey;
  if (patch.thumbnailsIndex !== undefined) changes.thumbnails_index = patch.thumbnailsIndex === null ? null : JSON.stringify(patch.thumbnailsIndex);
  if (patch.sourceVersion !== undefined) changes.source_version = patch.sourceVersion;
  return changes;
}

function clampProgress(value: number): number {
  return Math.max(0, Math.min(100, Math.round(value)));
}
