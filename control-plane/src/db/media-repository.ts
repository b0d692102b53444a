import { sql, type Expression, type Kysely, type RawBuilder, type Selectable, type SqlBool, type ExpressionBuilder } from 'kysely';
import { FoldersRepository } from './folders-repository.js';
import type { DB, FoldersTable, MediaTable, MediaType } from './schema.js';

/**
 * Queries of the media library: listing a folder (files and folders, sorted, filtered,
 * searched, paged), one entry, folder trees. No rules here: who may see what is decided by
 * the services, which pass the viewer and scope in.
 */

export type MediaRow = Selectable<MediaTable>;
export type FolderRow = Selectable<FoldersTable>;
export type Executor = Kysely<DB>;

export type SortField = 'name' | 'createTime' | 'size' | 'duration';
export type SortOrder = 'asc' | 'desc';

export interface EntryFilter {
  /** Include folders. */
  folders: boolean;
  /** Include media of these types. */
  mediaTypes: MediaType[];
  /** Include voiceover recordings (whatever mediaTypes says). */
  voiceover: boolean;
}

export interface ListScope {
  viewerId: string;
  /** Null: the root, where shared test media (not the audio library) are listed too. */
  folderId: string | null;
  filter: EntryFilter;
  /** Case-insensitive substring of the name. */
  search: string | undefined;
  sortField: SortField;
  sortOrder: SortOrder;
}

/** The sort column of each field; each leads one of the media_list_* indexes after owner and folder. */
const mediaSortKey = {
  name: sql`name_key`,
  createTime: sql`create_time_ms`,
  size: sql`size_bytes`,
  duration: sql`duration_hns`,
} as const;

/** `lowered` is an already lower-cased column (media.name_key) or an expression of one. */
function searchCondition(lowered: RawBuilder<unknown>, search: string | undefined) {
  if (search === undefined || search === '') return undefined;
  // LIKE wildcards in the search are literal characters.
  const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`${lowered} like ${pattern}`;
}

const ALL_MEDIA_TYPES: MediaType[] = ['video', 'audio', 'image'];

function mediaConditions(eb: ExpressionBuilder<DB, 'media'>, scope: ListScope, ownerId: string | null): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [
    ownerId === null ? eb('owner_id', 'is', null) : eb('owner_id', '=', ownerId),
    scope.folderId === null ? eb('folder_id', 'is', null) : eb('folder_id', '=', scope.folderId),
  ];
  // Of the shared media, only test media are listed with a user's files; the audio library has its own listing.
  if (ownerId === null) conditions.push(eb('type', '=', 'test'));
  // Every type wanted: no condition at all, so counts and pages need nothing but the index keys.
  if (!ALL_MEDIA_TYPES.every((type) => scope.filter.mediaTypes.includes(type))) {
    const kinds: Expression<SqlBool>[] = [];
    if (scope.filter.mediaTypes.length > 0) kinds.push(eb('media_type', 'in', scope.filter.mediaTypes));
    if (scope.filter.voiceover) kinds.push(eb('type', '=', 'voiceover'));
    conditions.push(eb.or(kinds));
  }
  const search = searchCondition(sql`name_key`, scope.search);
  if (search) conditions.push(search);
  return eb.and(conditions);
}

/** Owners whose media a listing shows: the viewer, plus shared media (owner null) at the root. */
function ownersOf(scope: ListScope): Array<string | null> {
  return scope.folderId === null ? [scope.viewerId, null] : [scope.viewerId];
}

function wantsMedia(scope: ListScope): boolean {
  return scope.filter.mediaTypes.length > 0 || scope.filter.voiceover;
}

export async function countMedia(db: Executor, scope: ListScope): Promise<number> {
  if (!wantsMedia(scope)) return 0;
  const counts = await Promise.all(
    ownersOf(scope).map((owner) =>
      db
        .selectFrom('media')
        .select(sql<number>`count(*)::int`.as('n'))
        .where((eb) => mediaConditions(eb, scope, owner))
        .executeTakeFirstOrThrow(),
    ),
  );
  return counts.reduce((sum, row) => sum + row.n, 0);
}

/**
 * One page of media rows in the listing's order (key, then id, both in the requested direction).
 * Each owner's branch orders by the whole index key (owner, folder, key, id): with the owner and
 * folder fixed that is the listing's order, and spelled this way the planner reads the index in
 * order instead of sorting (it does not treat `folder_id is null` as fixing the folder column).
 * Only the page's ids come from the index; the page's rows are then joined whole.
 */
export async function pageOfMedia(db: Executor, scope: ListScope, offset: number, limit: number): Promise<MediaRow[]> {
  if (!wantsMedia(scope) || limit <= 0) return [];
  const key = mediaSortKey[scope.sortField];
  const direction = scope.sortOrder === 'asc' ? sql`asc` : sql`desc`;
  const branches = ownersOf(scope).map((owner) =>
    db
      .selectFrom('media')
      .select(['id', sql`${key}`.as('sort_key')])
      .where((eb) => mediaConditions(eb, scope, owner))
      .orderBy(sql`owner_id ${direction}`)
      .orderBy(sql`folder_id ${direction}`)
      .orderBy(sql`${key} ${direction}`)
      .orderBy(sql`id ${direction}`)
      .limit(offset + limit),
  );
  const union = branches.map((branch) => sql`(${branch})`).reduce((acc, part) => sql`${acc} union all ${part}`);
  const result = await sql<MediaRow>`
    select media.* from (
      select id, sort_key from (${union}) as merged
      order by sort_key ${direction}, id ${direction}
      offset ${offset} limit ${limit}
    ) as page
    join media on media.id = page.id
    order by page.sort_key ${direction}, page.id ${direction}`.execute(db);
  return result.rows;
}

function folderConditions(eb: ExpressionBuilder<DB, 'folders'>, scope: ListScope): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [
    eb('owner_id', '=', scope.viewerId),
    scope.folderId === null ? eb('parent_id', 'is', null) : eb('parent_id', '=', scope.folderId),
  ];
  const search = searchCondition(sql`lower(name)`, scope.search);
  if (search) conditions.push(search);
  return eb.and(conditions);
}

export async function countFolders(db: Executor, scope: ListScope): Promise<number> {
  if (!scope.filter.folders) return 0;
  const row = await db
    .selectFrom('folders')
    .select(sql<number>`count(*)::int`.as('n'))
    .where((eb) => folderConditions(eb, scope))
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * A page of sub-folders. They sort by name or creation time when the listing does; by size or
 * duration (which folders lack) they sort by name, A to Z.
 */
export async function pageOfFolders(db: Executor, scope: ListScope, offset: number, limit: number): Promise<FolderRow[]> {
  if (!scope.filter.folders || limit <= 0) return [];
  const byTime = scope.sortField === 'createTime';
  const direction = scope.sortField === 'name' || byTime ? (scope.sortOrder === 'asc' ? sql`asc` : sql`desc`) : sql`asc`;
  return db
    .selectFrom('folders')
    .selectAll()
    .where((eb) => folderConditions(eb, scope))
    .orderBy(byTime ? sql`create_time_ms ${direction}` : sql`lower(name) collate "C" ${direction}`)
    .orderBy(sql`id ${direction}`)
    .offset(offset)
    .limit(limit)
    .execute();
}

/** One media row a viewer may see: their own, or shared. */
export async function findVisibleMedia(db: Executor, viewerId: string, id: string): Promise<MediaRow | undefined> {
  return db
    .selectFrom('media')
    .selectAll()
    .where('id', '=', id)
    .where((eb) => eb.or([eb('owner_id', '=', viewerId), eb('owner_id', 'is', null)]))
    .executeTakeFirst();
}

export async function findMedia(db: Executor, id: string): Promise<MediaRow | undefined> {
  return db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The owner's folder (kept here for the media service; the query is the folders repository's). */
export function findOwnFolder(db: Executor, ownerId: string, id: string): Promise<FolderRow | undefined> {
  return new FoldersRepository(db).findOwn(ownerId, id);
}

/** Total bytes of a user's media (every status: uploads in progress reserve their declared size). */
export async function bytesOwnedBy(db: Executor, ownerId: string): Promise<number> {
  const row = await db
    .selectFrom('media')
    .select(sql<number>`coalesce(sum(size_bytes), 0)::bigint`.as('total'))
    .where('owner_id', '=', ownerId)
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

/**
 * Queries of media rows for the folder tree and upload sessions (the library's lists are the
 * functions above).
 */
export class MediaRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Deletes an entry still waiting for its upload; false when there is none such. */
  async deleteUploading(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('media').where('id', '=', id).where('status', '=', 'upload').executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Ids of the owner's media in any of the folders. */
  async idsInFolders(ownerId: string, folderIds: string[]): Promise<string[]> {
    if (folderIds.length === 0) return [];
    const rows = await this.db.selectFrom('media').select('id').where('owner_id', '=', ownerId).where('folder_id', 'in', folderIds).execute();
    return rows.map((r) => r.id);
  }

  /** The owner's media in any of the folders, locked until the transaction ends. */
  lockInFolders(trx: Kysely<DB>, ownerId: string, folderIds: string[]): Promise<MediaRow[]> {
    return trx.selectFrom('media').selectAll().where('owner_id', '=', ownerId).where('folder_id', 'in', folderIds).forUpdate().execute();
  }

  /** Those of `ids` the viewer sees: its own and the shared ones (no owner). */
  visibleAmong(trx: Kysely<DB>, viewerId: string, ids: string[]): Promise<Array<Pick<MediaRow, 'id' | 'owner_id' | 'type'>>> {
    return trx
      .selectFrom('media')
      .select(['id', 'owner_id', 'type'])
      .where('id', 'in', ids)
      .where((eb) => eb.or([eb('owner_id', '=', viewerId), eb('owner_id', 'is', null)]))
      .execute();
  }

  /** Moves the owner's media into a folder (null: the root). */
  async moveToFolder(trx: Kysely<DB>, ownerId: string, ids: string[], folderId: string | null): Promise<void> {
    await trx.updateTable('media').set({ folder_id: folderId, updated_at: new Date() }).where('owner_id', '=', ownerId).where('id', 'in', ids).execute();
  }
}
