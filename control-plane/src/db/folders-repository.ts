import { sql, type Expression, type ExpressionBuilder, type Insertable, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { searchCondition, type ListScope } from './media-repository.js';
import type { DB, FoldersTable } from './schema.js';

export type FolderRow = Selectable<FoldersTable>;
export type NewFolderRow = Insertable<FoldersTable>;

function childConditions(eb: ExpressionBuilder<DB, 'folders'>, scope: ListScope): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [
    eb('owner_id', '=', scope.viewerId),
    scope.folderId === null ? eb('parent_id', 'is', null) : eb('parent_id', '=', scope.folderId),
  ];
  const search = searchCondition(sql`lower(name)`, scope.search);
  if (search) conditions.push(search);
  return eb.and(conditions);
}

/**
 * Queries of users' folder trees, and the page of sub-folders a library listing shows (its
 * counts are the media repository's `countAndPageListing`). `db` parameters take a transaction in progress.
 */
export class FoldersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * A page of a listing's sub-folders. They sort by name or creation time when the listing does;
   * by size or duration (which folders lack) they sort by name, A to Z.
   */
  async pageOfChildren(scope: ListScope, offset: number, limit: number): Promise<FolderRow[]> {
    if (!scope.filter.folders || limit <= 0) return [];
    const byTime = scope.sortField === 'createTime';
    const direction = scope.sortField === 'name' || byTime ? (scope.sortOrder === 'asc' ? sql`asc` : sql`desc`) : sql`asc`;
    return this.db
      .selectFrom('folders')
      .selectAll()
      .where((eb) => childConditions(eb, scope))
      .orderBy(byTime ? sql`create_time_ms ${direction}` : sql`lower(name) collate "C" ${direction}`)
      .orderBy(sql`id ${direction}`)
      .offset(offset)
      .limit(limit)
      .execute();
  }

  /** Serializes changes to one user's folder tree until the transaction ends. */
  async lockTree(trx: Kysely<DB>, ownerId: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext(${`folders:${ownerId}`}))`.execute(trx);
  }

  findOwn(ownerId: string, id: string, db: Kysely<DB> = this.db): Promise<FolderRow | undefined> {
    return db.selectFrom('folders').selectAll().where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
  }

  /**
   * Whether the owner has the folder, which then cannot be deleted (its row share-locked) until
   * the transaction ends: an entry made in it keeps its folder.
   */
  async lockShared(trx: Kysely<DB>, ownerId: string, id: string): Promise<boolean> {
    const row = await trx.selectFrom('folders').select('id').where('id', '=', id).where('owner_id', '=', ownerId).forShare().executeTakeFirst();
    return row !== undefined;
  }

  /** Whether any folder, whoever's, is directly in the folder. */
  async hasSubfolders(folderId: string): Promise<boolean> {
    const rows = await this.db.selectFrom('folders').select('id').where('parent_id', '=', folderId).limit(1).execute();
    return rows.length > 0;
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
