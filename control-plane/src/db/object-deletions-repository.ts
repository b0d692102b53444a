import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { DB, ObjectDeletionsTable } from './schema.js';

export type ObjectDeletionRow = Selectable<ObjectDeletionsTable>;
export type NewObjectDeletionRow = Insertable<ObjectDeletionsTable>;

/** Rows per insert when many objects are queued at once. */
const ROWS_PER_INSERT = 1000;

/** Queries of the queue of stored objects to delete. */
export class ObjectDeletionsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Queues the objects inside the caller's transaction. */
  async insertMany(trx: Kysely<DB>, rows: NewObjectDeletionRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      await trx
        .insertInto('object_deletions')
        .values(rows.slice(i, i + ROWS_PER_INSERT))
        .execute();
    }
  }

  /** Those of the entries still queued. */
  findMany(ids: string[]): Promise<ObjectDeletionRow[]> {
    return this.db.selectFrom('object_deletions').selectAll().where('id', 'in', ids).execute();
  }

  /** The next entries in id order after `lastId` ('' for the first). */
  pageAfter(lastId: string, limit: number): Promise<ObjectDeletionRow[]> {
    return this.db.selectFrom('object_deletions').selectAll().where('id', '>', lastId).orderBy('id').limit(limit).execute();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('object_deletions')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    return row.n;
  }

  /** The entry's object is gone. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('object_deletions').where('id', '=', id).execute();
  }

  /** Counts a failed try at the entry. */
  async countAttempt(id: string): Promise<void> {
    await this.db
      .updateTable('object_deletions')
      .set({ attempts: sql`attempts + 1` })
      .where('id', '=', id)
      .execute();
  }
}
