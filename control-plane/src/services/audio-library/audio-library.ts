import type { Kysely } from 'kysely';
import { AudiolibTagsRepository, type TagCount } from '../../db/audiolib-tags-repository.js';
import { MediaRepository, type LibraryPage, type LibraryScope } from '../../db/media-repository.js';
import type { AudiolibType, DB } from '../../db/schema.js';
import { notFound } from '../../http/errors.js';
import type { MediaEntry } from '../library/media-entry.js';
import type { MediaList, MediaService } from '../library/media.js';

export type LibraryListQuery = LibraryScope & Omit<LibraryPage, 'offset' | 'limit'> & { startNumber: number; count: number };

/**
 * What editors read of the audio library: its files (shared media entries, the same for every
 * user), by type, category, mood and name, and its categories and moods with their counts.
 * The import (audio-library-import.ts) is what fills it.
 */
export class AudioLibraryService {
  private readonly rows: MediaRepository;
  private readonly categoryTags: AudiolibTagsRepository;
  private readonly moodTags: AudiolibTagsRepository;

  constructor(
    db: Kysely<DB>,
    private readonly media: MediaService,
  ) {
    this.rows = new MediaRepository(db);
    this.categoryTags = new AudiolibTagsRepository(db, 'audiolib_categories');
    this.moodTags = new AudiolibTagsRepository(db, 'audiolib_moods');
  }

  async list(query: LibraryListQuery): Promise<MediaList> {
    const scope: LibraryScope = {
      audiolibType: query.audiolibType,
      categoryId: query.categoryId,
      moodId: query.moodId,
      search: query.search,
    };
    const [total, rows] = await Promise.all([
      this.rows.countInLibrary(scope),
      this.rows.pageOfLibrary(scope, {
        sortField: query.sortField,
        sortOrder: query.sortOrder,
        offset: query.startNumber,
        limit: query.count,
      }),
    ]);
    return { total_count: total, entries: await Promise.all(rows.map((row) => this.media.entryOf(row))) };
  }

  /** A library file; any other id (a user's own media included) is a 404. */
  async describe(id: string): Promise<MediaEntry> {
    const row = await this.rows.findInLibrary(id);
    if (!row) throw notFound(`no audio library file ${id}`);
    return this.media.entryOf(row);
  }

  async categories(audiolibType: AudiolibType): Promise<{ entries: TagCount[] }> {
    return { entries: await this.categoryTags.withCounts(audiolibType) };
  }

  async moods(audiolibType: AudiolibType): Promise<{ entries: TagCount[] }> {
    return { entries: await this.moodTags.withCounts(audiolibType) };
  }
}
