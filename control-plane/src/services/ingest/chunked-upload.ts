import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { badRequest, insufficientStorage, notFound } from '../../http/errors.js';
import { isDependencyUnavailable } from '../../http/dependency-unavailable.js';
import { isDiskFull } from '../../storage/disk-full.js';
import type { ContentRange } from '../../http/content-range.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { contiguousPrefix, type ReceivedChunk } from './upload-coverage.js';

/**
 * The editor API's resumable upload, shared by media uploads and project imports: a session receives
 * chunks with `Content-Range`, in any order, repeated or in parallel, on any replica. Each chunk
 * is stored as its own object, published whole or not at all, then recorded under the session's
 * row lock; the session's state is the contiguous prefix received. What a kind of session keeps
 * where is its `ChunkLedger`.
 */

export interface ChunkedSession {
  sizeBytes: number;
  receivedBytes: number;
  complete: boolean;
}

/** One kind of session's rows: where its size, state and chunks are kept. */
export interface ChunkLedger {
  /** The session under a row lock, or undefined when it is gone. `receiving`: not complete yet. */
  lock(trx: Kysely<DB>, id: string): Promise<{ sizeBytes: number; receiving: boolean } | undefined>;
  /** Records a chunk (again: its newest object wins). */
  addChunk(trx: Kysely<DB>, id: string, chunk: ReceivedChunk): Promise<void>;
  chunks(trx: Kysely<DB>, id: string): Promise<ReceivedChunk[]>;
  setReceived(trx: Kysely<DB>, id: string, receivedBytes: number, complete: boolean): Promise<void>;
}

export interface RecordedChunk {
  sizeBytes: number;
  receivedBytes: number;
  complete: boolean;
  /** This chunk completed the file: the caller starts what follows, once. */
  justCompleted: boolean;
  chunks: ReceivedChunk[];
}

/**
 * Checks a PUT against its session and stores the chunk it carries. Answers undefined when
 * there is nothing to store (a state query `bytes * /total`, or a session already complete).
 */
export async function storeChunk(
  store: ObjectStore,
  session: ChunkedSession,
  range: ContentRange,
  body: Readable,
  contentLength: number | undefined,
  keyOf: (start: number, end: number) => string,
): Promise<ReceivedChunk | undefined> {
  if (range.total !== session.sizeBytes) {
    throw badRequest(`Content-Range says the file has ${range.total} bytes; the session was created for ${session.sizeBytes}`);
  }
  if (range.kind === 'query' || session.complete) {
    body.resume();
    return undefined;
  }
  const length = range.end - range.start + 1;
  if (contentLength !== undefined && contentLength !== length) {
    throw badRequest(`Content-Length ${contentLength} does not match Content-Range (${length} bytes)`);
  }
  // The chunk is its own object, published whole or not at all: a dropped connection leaves nothing.
  const key = keyOf(range.start, range.end);
  try {
    await store.put(key, body, { sizeBytes: length });
  } catch (error) {
    if (body.readableAborted || (body as Readable & { aborted?: boolean }).aborted) throw error;
    if (isDiskFull(error))
      throw insufficientStorage('low_disk_space', 'the server ran out of disk space storing this chunk; nothing of it was kept, send it again later');
    if (isDependencyUnavailable(error)) throw error;
    throw badRequest(`the chunk did not carry the ${length} bytes its Content-Range announced`);
  }
  return { start: range.start, end: range.end, key };
}

/**
 * Records a stored chunk and the new state under the session's lock; `then` runs in the same
 * transaction (progress, and starting the work that follows when `justCompleted`).
 */
export async function recordChunk(
  db: Kysely<DB>,
  ledger: ChunkLedger,
  id: string,
  chunk: ReceivedChunk,
  then: (trx: Kysely<DB>, recorded: RecordedChunk) => Promise<void>,
): Promise<RecordedChunk> {
  return db.transaction().execute(async (trx) => {
    const session = await ledger.lock(trx, id);
    if (!session) throw notFound(`no upload session ${id}`);
    await ledger.addChunk(trx, id, chunk);
    const chunks = await ledger.chunks(trx, id);
    const receivedBytes = Math.min(session.sizeBytes, contiguousPrefix(chunks));
    const complete = receivedBytes >= session.sizeBytes;
    await ledger.setReceived(trx, id, receivedBytes, complete);
    const recorded = { sizeBytes: session.sizeBytes, receivedBytes, complete, justCompleted: complete && session.receiving, chunks };
    await then(trx, recorded);
    return recorded;
  });
}

/** Percent of a session's bytes received. */
export function receivedPercent(receivedBytes: number, sizeBytes: number): number {
  return sizeBytes === 0 ? 100 : Math.floor((receivedBytes / sizeBytes) * 100);
}
