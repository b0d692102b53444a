import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { DB, FoldersTable } from './schema.js';

export type FolderRow = Selectable<FoldersTable>;
export type NewFolderRow = Insertable<FoldersTable>;

/**
 * Queries of users' folder trees (the library's lists of folders are in media-repository.ts).
 * `db` parameters take a transaction in progress.
 */
export class FoldersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Serializes changes to one user's folder tree until the transaction ends. */
  async lockTree(trx: Kysely<DB>, ownerId: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext(${`folders:${ownerId}`}))`.execute(trx);
  }

  findOwn(ownerId: string, id: string, db: Kysely<DB> = this.db): Promise<FolderRow | undefined> {
    return db.selectFrom('folders').selectAll().where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
  }

  async insert(row: NewFolderRow, db: Kysely<DB> = this.db): Promise<void> {
    await db.insertInto('folders').values(row).execute();
  }

  /** False when the owner has no such folder. */
  async rename(ownerId: string, id: string, name: string): Promise<boolean> {
    const result = await this.db
      .updateTable('folders')
      .set({ name, updated_at: new Date() })
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Those of `ids` that are the owner's folders. */
  async ownedAmong(ownerId: string, ids: string[], db: Kysely<DB> = this.db): Promise<string[]> {
    const rows = await db.selectFrom('folders').select('id').where('owner_id', '=', ownerId).where('id', 'in', ids).execute();
    return rows.map((r) => r.id);
  }

  /**
   * A folder and every folder below it (ids); empty when the owner has no such folder. With
   * `lock`, the folder rows stay locked against concurrent changes until the transaction ends.
   */
  async subtreeOf(ownerId: string, rootId: string, lock = false, db: Kysely<DB> = this.db): Promise<string[]> {
    const result = await sql<{ id: string }>`
      select id from folders
      where owner_id = ${ownerId} and id in (
        with recursive tree(id) as (
          select id from folders where id = ${rootId} and owner_id = ${ownerId}
          union all
          select f.id from folders f join tree t on f.parent_id = t.id
        )
        select id from tree
      )
      ${lock ? sql`for update` : sql``}`.execute(db);
    return result.rows.map((r) => r.id);
  }

  /** The ancestors of a folder, nearest first (excluding itself). */
  async ancestorsOf(ownerId: string, folderId: string, db: Kysely<DB> = this.db): Promise<string[]> {
    const result = await sql<{ id: string }>`
      with recursive up(id, parent_id, depth) as (
        select id, parent_id, 0 from folders where id = ${folderId} and owner_id = ${ownerId}
        union all
        select f.id, f.parent_id, up.depth + 1 from folders f join up on f.id = up.parent_id
      )
      select id from up where depth > 0 order by depth`.execute(db);
    return result.rows.map((r) => r.id);
  }

  /** Moves the owner's folders under `parentId` (null: the root). */
  async reparent(trx: Kysely<DB>, ownerId: string, ids: string[], parentId: string | null): Promise<void> {
    await trx.updateTable('folders').set({ parent_id: parentId, updated_at: new Date() }).where('owner_id', '=', ownerId).where('id', 'in', ids).execute();
  }

  async deleteMany(trx: Kysely<DB>, ids: string[]): Promise<void> {
    await trx.deleteFrom('folders').where('id', 'in', ids).execute();
  }
}
