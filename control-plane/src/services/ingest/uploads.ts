import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { MediaRepository } from '../../db/media-repository.js';
import type { DB } from '../../db/schema.js';
import { UploadChunksRepository } from '../../db/upload-chunks-repository.js';
import { UploadSessionsRepository } from '../../db/upload-sessions-repository.js';
import { notFound } from '../../http/errors.js';
import type { ContentRange } from '../../http/content-range.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { IngestService } from './ingest.js';
import type { MediaService } from '../library/media.js';
import { mediaObjectPrefix } from '../library/media-object-keys.js';
import { assemblyParts } from './upload-coverage.js';
import { recordChunk, receivedPercent, storeChunk, type ChunkLedger } from './chunked-upload.js';

/**
 * Resumable uploads, the editor API's way: a session (whose id is the new media entry's) receives
 * chunks with `Content-Range`, in any order, repeated or in parallel, on any replica. Each chunk
 * is stored as an object and recorded in the database; the `Range` answer is the contiguous
 * prefix received (see chunked-upload.ts). When the whole file is in, ingest joins the chunks on
 * a render node.
 */

/** Media upload sessions keep their state in `upload_sessions` and `upload_chunks`. */
function uploadLedger(sessions: UploadSessionsRepository, chunks: UploadChunksRepository): ChunkLedger {
  return {
    async lock(trx, id) {
      const session = await sessions.lock(trx, id);
      return session && { sizeBytes: session.size_bytes, receiving: session.state === 'receiving' };
    },
    addChunk: (trx, id, chunk) => chunks.upsert(trx, id, chunk),
    chunks: (trx, id) => chunks.of(trx, id),
    setReceived: (trx, id, receivedBytes, complete) => sessions.setReceived(trx, id, receivedBytes, complete),
  };
}

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
  private readonly sessions: UploadSessionsRepository;
  private readonly mediaRows: MediaRepository;
  private readonly ledger: ChunkLedger;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly media: MediaService,
    private readonly store: ObjectStore,
    private readonly ingest: IngestService,
    private readonly options: UploadOptions,
  ) {
    this.sessions = new UploadSessionsRepository(db);
    this.mediaRows = new MediaRepository(db);
    this.ledger = uploadLedger(this.sessions, new UploadChunksRepository());
  }

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
      await this.sessions.insert(
        {
          media_id: row.id,
          owner_id: ownerId,
          size_bytes: request.size,
          expires_at: new Date(Date.now() + this.options.sessionTtlMs),
          ...(empty ? { state: 'complete' as const } : {}),
        },
        trx,
      );
      if (empty) await this.ingest.startUpload(row, [], trx);
    });
    if (empty) this.ingest.dispatchNow();
    return { id: row.id };
  }

  async state(ownerId: string, id: string): Promise<UploadState> {
    const session = await this.sessions.findCurrent(ownerId, id);
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
    const chunk = await storeChunk(
      this.store,
      session,
      range,
      body,
      contentLength,
      (start, end) => `${mediaObjectPrefix(ownerId, id)}upload/${start}-${end}.part`,
    );
    if (!chunk) return state;
    // The replica that sees the file complete starts its ingest, once.
    const recorded = await recordChunk(this.db, this.ledger, id, chunk, async (trx, r) => {
      const row = await this.media.update(id, { progress: receivedPercent(r.receivedBytes, r.sizeBytes) }, ['upload'], trx);
      if (r.justCompleted && row) await this.ingest.startUpload(row, assemblyParts(r.chunks, r.sizeBytes)!, trx);
    });
    if (recorded.complete) this.ingest.dispatchNow();
    return { id, size: recorded.sizeBytes, receivedBytes: recorded.receivedBytes, complete: recorded.complete, expiresAt: state.expiresAt };
  }

  /** Sessions past their lifetime without every byte: their entry and chunks go. */
  async sweepExpired(): Promise<number> {
    const expired = await this.sessions.expired();
    for (const session of expired) {
      await this.store.deletePrefix(mediaObjectPrefix(session.owner_id, session.media_id));
      await this.mediaRows.deleteUploading(session.media_id);
    }
    return expired.length;
  }

  /**
   * Files being uploaded now, for `/api/stat`: sessions still receiving that were made or got a
   * chunk within ACTIVE_UPLOAD_WINDOW_S. A session left idle (a closed tab) lives 24 hours, but
   * is not uploading.
   */
  async activeCount(): Promise<number> {
    return this.sessions.activeCount(ACTIVE_UPLOAD_WINDOW_S);
  }
}
