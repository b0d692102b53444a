import type { ListingVersions, MediaRepository } from '../../db/media-repository.js';
import type { MediaList, MediaListQuery } from './media.js';

/** Who asks for a list: a user, with their listing versions when the request has read them already. */
export interface ListingViewer {
  id: string;
  /** Read at the start of the request, with its credentials (`AuthenticatedUser`); absent: read here. */
  listingVersions?: ListingVersions | undefined;
}

/** Postgres's `undefined_table` error code. */
const UNDEFINED_TABLE = '42P01';

/**
 * `GET /api/mediafiles` answers made lately, as their JSON bytes, reused while nothing they
 * show can have changed: the key holds the viewer, the query, the versions of the viewer's
 * library and of the shared media (which the database changes in every transaction that writes
 * them, on any replica: see migration 0015 and `ListingVersions`), and the window the answer's
 * URLs were signed in (the same entry gets the same URLs for that window). Reading the versions
 * first and listing after is safe: an answer made after a write is stored under the version from
 * before it, which no request reads once the write has committed. The versions a request read
 * with its token are as good: read before the listing, after every write that committed before
 * the request came.
 * Least recently used answers are dropped first past the byte budget; stale ones are never asked
 * for again and go the same way. The bytes live outside the JavaScript heap.
 */
export class MediaListAnswers {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly rows: MediaRepository,
    private readonly list: (viewerId: string, query: MediaListQuery) => Promise<MediaList>,
    /** The signing window (its start, unix ms) of URLs signed at a moment. */
    private readonly urlWindowOf: (nowMs: number) => number,
    /** 0: no answer is kept, every request is listed (how the uncached path is measured). */
    public budgetBytes: number,
  ) {}

  async answer(viewer: ListingViewer, query: MediaListQuery): Promise<Buffer> {
    const viewerId = viewer.id;
    if (this.budgetBytes <= 0) return this.listed(viewerId, query);
    let versions = viewer.listingVersions;
    if (versions === undefined) {
      try {
        versions = await this.rows.listingVersions(viewerId);
      } catch (error) {
        // A schema from before migration 0015 (a rolling upgrade that has not migrated yet): no versions, no reuse.
        if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return this.listed(viewerId, query);
        throw error;
      }
    }
    const window = this.urlWindowOf(Date.now());
    const key = JSON.stringify([
      viewerId,
      versions.own,
      versions.shared,
      window,
      query.folderId,
      query.filter,
      query.sortField,
      query.sortOrder,
      query.search ?? null,
      query.startNumber,
      query.count,
    ]);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const bytes = await this.listed(viewerId, query);
    // An answer whose URLs were signed in the next window is not this key's answer.
    if (this.urlWindowOf(Date.now()) === window) this.keep(key, bytes);
    return bytes;
  }

  private async listed(viewerId: string, query: MediaListQuery): Promise<Buffer> {
    return Buffer.from(JSON.stringify(await this.list(viewerId, query)));
  }

  private keep(key: string, bytes: Buffer): void {
    if (bytes.length > this.budgetBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.length;
    }
    this.entries.set(key, bytes);
    this.bytes += bytes.length;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
  }
}
