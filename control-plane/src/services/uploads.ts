import type { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { notFound } from '../http/errors.js';
import type { ContentRange } from '../http/content-range.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { IngestService } from './ingest.js';
import type { MediaService } from './media.js';
import { mediaObjectPrefix } from './media-object-keys.js';
import { assemblyParts } from './upload-coverage.js';
import { recordChunk, receivedPercent, storeChunk, type ChunkLedger } from './chunked-upload.js';

/**
 * Resumable uploads, the seed's way: a session (whose id is the new media entry's) receives
 * chunks with `Content-Range`, in any order, repeated or in parallel, on any replica. Each chunk
 * is stored as an object and recorded in the database; the `Range` answer is the contiguous
 * prefix received (see chunked-upload.ts). When the whole file is in, ingest joins the chunks on
 * a render node.
 */

/** Media upload sessions keep their state in `upload_sessions` and `upload_chunks`. */
const uploadLedger: ChunkLedger = {
  async lock(trx, id) {
    const session = await trx.selectFrom('upload_sessions').select(['size_bytes', 'state']).where('media_id', '=', id).forUpdate().executeTakeFirst();
    return session && { sizeBytes: session.size_bytes, receiving: session.state === 'receiving' };
  },
  async addChunk(trx, id, chunk) {
    await trx
      .insertInto('upload_chunks')
      .values({ media_id: id, start_byte: chunk.start, end_byte: chunk.end, object_key: chunk.key })
      .onConflict((oc) => oc.columns(['media_id', 'start_byte', 'end_byte']).doUpdateSet({ object_key: chunk.key }))
      .execute();
  },
  async chunks(trx, id) {
    const rows = await trx.selectFrom('upload_chunks').select(['start_byte', 'end_byte', 'object_key']).where('media_id', '=', id).execute();
    return rows.map((c) => ({ start: c.start_byte, end: c.end_byte, key: c.object_key }));
  },
  async setReceived(trx, id, receivedBytes, complete) {
    await trx
      .updateTable('upload_sessions')
      .set({ received_bytes: receivedBytes, updated_at: sql`now()`, ...(complete ? { state: 'complete' as const } : {}) })
      .where('media_id', '=', id)
      .execute();
  },
};

/** An upload session counts as uploading now while its last chunk (or its creation) is this recent. */
export const ACTIVE_UPLOAD_WINDOW_S = 120;

export interface UploadOptions {
  sessionTtlMs: number;
}

export interface UploadState {
  id: string;
  size: number;
  receivedBytes: number;
  complete: boolean;
  expiresAt: Date;
}

export class UploadService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly media: MediaService,
    private readonly store: ObjectStore,
    private readonly ingest: IngestService,
    private readonly options: UploadOptions,
  ) {}

  /**
   * A new session and its media entry (`status: upload`); 507 over the quotas, 514 for a name
   * that is not media. `folder`: a folder id, or null for the root. An empty file (`size` 0) is
   * a whole upload at once: its session is complete as it is made, and ingest judges the file.
   */
  async create(ownerId: string, request: { size: number; name: string; folder: string | null }): Promise<{ id: string }> {
    const row = await this.media.create({
      ownerId,
      folderId: request.folder,
      name: request.name,
      type: 'uploaded',
      status: 'upload',
      progress: 0,
      sizeBytes: request.size,
    });
    const empty = request.size === 0;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('upload_sessions')
        .values({
          media_id: row.id,
          owner_id: ownerId,
          size_bytes: request.size,
          expires_at: new Date(Date.now() + this.options.sessionTtlMs),
          ...(empty ? { state: 'complete' as const } : {}),
        })
        .execute();
      if (empty) await this.ingest.startUpload(row, [], trx);
    });
    if (empty) this.ingest.dispatchNow();
    return { id: row.id };
  }

  async state(ownerId: string, id: string): Promise<UploadState> {
    const session = await this.db
      .selectFrom('upload_sessions')
      .selectAll()
      .where('media_id', '=', id)
      .where('owner_id', '=', ownerId)
      .where((eb) => eb.or([eb('state', '=', 'complete'), eb('expires_at', '>', sql<Date>`now()`)]))
      .executeTakeFirst();
    if (!session) throw notFound(`no upload session ${id}`);
    return {
      id,
      size: session.size_bytes,
      receivedBytes: session.received_bytes,
      complete: session.state === 'complete',
      expiresAt: new Date(session.expires_at),
    };
  }

  /** Stores one chunk (or answers a state query) and tells where the upload stands. */
  async receive(ownerId: string, id: string, range: ContentRange, body: Readable, contentLength: number | undefined): Promise<UploadState> {
    const state = await this.state(ownerId, id);
    const session = { sizeBytes: state.size, receivedBytes: state.receivedBytes, complete: state.complete };
    const chunk = await storeChunk(this.store, session, range, body, contentLength, (start, end) => `${mediaObjectPrefix(ownerId, id)}upload/${start}-${end}.part`);
    if (!chunk) return state;
    // The replica that sees the file complete starts its ingest, once.
    const recorded = await recordChunk(this.db, uploadLedger, id, chunk, async (trx, r) => {
      const row = await this.media.update(id, { progress: receivedPercent(r.receivedBytes, r.sizeBytes) }, ['upload'], trx);
      if (r.justCompleted && row) await this.ingest.startUpload(row, assemblyParts(r.chunks, r.sizeBytes)!, trx);
    });
    if (recorded.complete) this.ingest.dispatchNow();
    return { id, size: recorded.sizeBytes, receivedBytes: recorded.receivedBytes, complete: recorded.complete, expiresAt: state.expiresAt };
  }

  /** Sessions past their lifetime without every byte: their entry and chunks go. */
  async sweepExpired(): Promise<number> {
    const expired = await this.db
      .selectFrom('upload_sessions')
      .select(['media_id', 'owner_id'])
      .where('state', '=', 'receiving')
      .where('expires_at', '<', sql<Date>`now()`)
      .execute();
    for (const session of expired) {
      await this.store.deletePrefix(mediaObjectPrefix(session.owner_id, session.media_id));
      await this.db.deleteFrom('media').where('id', '=', session.media_id).where('status', '=', 'upload').execute();
    }
    return expired.length;
  }

  /**
   * Files being uploaded now, for `/api/stat`: sessions still receiving that were made or got a
   * chunk within ACTIVE_UPLOAD_WINDOW_S. A session left idle (a closed tab) lives 24 hours, but
   * is not uploading.
   */
  async activeCount(): Promise<number> {
    const row = await this.db
      .selectFrom('upload_sessions')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('state', '=', 'receiving')
      .where('expires_at', '>', sql<Date>`now()`)
      .where('updated_at', '>', sql<Date>`now() - make_interval(secs => ${ACTIVE_UPLOAD_WINDOW_S})`)
      .executeTakeFirstOrThrow();
    return row.count;
  }
}
