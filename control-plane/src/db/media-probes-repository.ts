import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/** ffprobe's JSON of each stored original, kept at ingest so that renders need not probe it again. */
export class MediaProbesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Keeps (or replaces, after a re-ingest) what the probe of a media file's original said. */
  async save(mediaId: string, probe: string, db: Kysely<DB> = this.db): Promise<void> {
    await db
      .insertInto('media_probes')
      .values({ media_id: mediaId, probe })
      .onConflict((c) => c.column('media_id').doUpdateSet({ probe }))
      .execute();
  }

  async find(mediaId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('media_probes').select('probe').where('media_id', '=', mediaId).executeTakeFirst();
    return row?.probe;
  }
}
