import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/** A chunk of a media upload, stored as its own object. */
export interface UploadChunk {
  start: number;
  end: number;
  key: string;
}

/** Queries of the chunks media uploads received. Every method runs in the caller's transaction. */
export class UploadChunksRepository {
  /** Records a chunk; the same range again: its newest object wins. */
  async upsert(trx: Kysely<DB>, mediaId: string, chunk: UploadChunk): Promise<void> {
    await trx
      .insertInto('upload_chunks')
      .values({ media_id: mediaId, start_byte: chunk.start, end_byte: chunk.end, object_key: chunk.key })
      .onConflict((oc) => oc.columns(['media_id', 'start_byte', 'end_byte']).doUpdateSet({ object_key: chunk.key }))
      .execute();
  }

  async of(trx: Kysely<DB>, mediaId: string): Promise<UploadChunk[]> {
    const rows = await trx.selectFrom('upload_chunks').select(['start_byte', 'end_byte', 'object_key']).where('media_id', '=', mediaId).execute();
    return rows.map((c) => ({ start: c.start_byte, end: c.end_byte, key: c.object_key }));
  }
}
