import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { DB, UploadSessionsTable } from './schema.js';

export type UploadSessionRow = Selectable<UploadSessionsTable>;
export type NewUploadSessionRow = Insertable<UploadSessionsTable>;

/** Queries of media upload sessions (one per media entry being uploaded). `db` parameters take a transaction in progress. */
export class UploadSessionsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: NewUploadSessionRow, db: Kysely<DB> = this.db): Promise<void> {
    await db.insertInto('upload_sessions').values(row).execute();
  }

  /** The owner's session, while it is complete or not yet expired. */
  findCurrent(ownerId: string, mediaId: string): Promise<UploadSessionRow | undefined> {
    return this.db
      .selectFrom('upload_sessions')
      .selectAll()
      .where('media_id', '=', mediaId)
      .where('owner_id', '=', ownerId)
      .where((eb) => eb.or([eb('state', '=', 'complete'), eb('expires_at', '>', sql<Date>`now()`)]))
      .executeTakeFirst();
  }

  /** The session's size and state, its row locked until the transaction ends. */
  lock(trx: Kysely<DB>, mediaId: string): Promise<Pick<UploadSessionRow, 'size_bytes' | 'state'> | undefined> {
    return trx.selectFrom('upload_sessions').select(['size_bytes', 'state']).where('media_id', '=', mediaId).forUpdate().executeTakeFirst();
  }

  async setReceived(trx: Kysely<DB>, mediaId: string, receivedBytes: number, complete: boolean): Promise<void> {
    await trx
      .updateTable('upload_sessions')
      .set({ received_bytes: receivedBytes, updated_at: sql`now()`, ...(complete ? { state: 'complete' as const } : {}) })
      .where('media_id', '=', mediaId)
      .execute();
  }

  /** Sessions still receiving past their lifetime. */
  expired(): Promise<Array<Pick<UploadSessionRow, 'media_id' | 'owner_id'>>> {
    return this.db
      .selectFrom('upload_sessions')
      .select(['media_id', 'owner_id'])
      .where('state', '=', 'receiving')
      .where('expires_at', '<', sql<Date>`now()`)
      .execute();
  }

  /** Sessions still receiving that were made or got a chunk within the last `windowS` seconds. */
  async activeCount(windowS: number): Promise<number> {
    const row = await this.db
      .selectFrom('upload_sessions')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('state', '=', 'receiving')
      .where('expires_at', '>', sql<Date>`now()`)
      .where('updated_at', '>', sql<Date>`now() - make_interval(secs => ${windowS})`)
      .executeTakeFirstOrThrow();
    return row.count;
  }
}
