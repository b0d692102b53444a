import type { Kysely } from 'kysely';
import type { DB } from './schema.js';
import type { UploadChunk } from './upload-chunks-repository.js';

/** Queries of the chunks project import sessions received. Every method runs in the caller's transaction (or on the database). */
export class ProjectImportChunksRepository {
  /** Records a chunk; the same range again: its newest object wins. */
  async upsert(trx: Kysely<DB>, importId: string, chunk: UploadChunk): Promise<void> {
    await trx
      .insertInto('project_import_chunks')
      .values({ import_id: importId, start_byte: chunk.start, end_byte: chunk.end, object_key: chunk.key })
      .onConflict((oc) => oc.columns(['import_id', 'start_byte', 'end_byte']).doUpdateSet({ object_key: chunk.key }))
      .execute();
  }

  async of(db: Kysely<DB>, importId: string): Promise<UploadChunk[]> {
    const rows = await db.selectFrom('project_import_chunks').select(['start_byte', 'end_byte', 'object_key']).where('import_id', '=', importId).execute();
    return rows.map((c) => ({ start: c.start_byte, end: c.end_byte, key: c.object_key }));
  }
}
