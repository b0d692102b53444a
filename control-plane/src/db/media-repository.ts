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

function wantsMedia(scope: ListScope): boolean {
  return scope.filter.mediaTypes.length > 0 || scope.filter.voiceover;
}

/** The columns a listed entry is made of (its answer and its signed URLs): never the thumbnail index or bookkeeping. */
export const LISTED_MEDIA_COLUMNS = [
  'id',
  'name',
  'type',
  'filetype',
  'media_type',
  'duration_hns',
  'size_bytes',
  'width',
  'height',
  'thumbnail',
  'audio_tracks',
  'status',
  'progress',
  'error',
  'task_id',
  'category_id',
  'mood_id',
  'create_time_ms',
  'folder_id',
  'original_key',
  'proxy_key',
] as const;
export type ListedMediaRow = Pick<MediaRow, (typeof LISTED_MEDIA_COLUMNS)[number]>;
const listedColumns = sql.raw(LISTED_MEDIA_COLUMNS.map((column) => `media.${column}`).join(', '));

/**
 * Which media rows of one owner a listing shows, as plain SQL (the listing's hot path skips the
 * query builder). Shared media (owner null) are only the test media: the audio library has its
 * own listing. With every type wanted there is no type condition at all, so counts and pages
 * need nothing but the index keys.
 */
function mediaWhere(scope: ListScope, ownerId: string | null): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [
    ownerId === null ? sql`owner_id is null` : sql`owner_id = ${ownerId}`,
    scope.folderId === null ? sql`folder_id is null` : sql`folder_id = ${scope.folderId}`,
  ];
  if (ownerId === null) parts.push(sql`type = 'test'`);
  if (!ALL_MEDIA_TYPES.every((type) => scope.filter.mediaTypes.includes(type))) {
    const kinds: RawBuilder<unknown>[] = [];
    if (scope.filter.mediaTypes.length > 0) kinds.push(sql`media_type in (${sql.join(scope.filter.mediaTypes)})`);
    if (scope.filter.voiceover) kinds.push(sql`type = 'voiceover'`);
    parts.push(kinds.length > 0 ? sql`(${sql.join(kinds, sql` or `)})` : sql`false`);
  }
  const search = searchCondition(sql`name_key`, scope.search);
  if (search) parts.push(search);
  return sql.join(parts, sql` and `);
}

function folderWhere(scope: ListScope): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [
    sql`owner_id = ${scope.viewerId}`,
    scope.folderId === null ? sql`parent_id is null` : sql`parent_id = ${scope.folderId}`,
  ];
  const search = searchCondition(sql`lower(name)`, scope.search);
  if (search) parts.push(search);
  return sql.join(parts, sql` and `);
}

export interface ListingCounts {
  /** Whether the listed folder is one of the viewer's (always true at the root). */
  folderFound: boolean;
  folders: number;
  /** The viewer's own files. */
  own: number;
  /** Shared test media (at the root only). */
  shared: number;
}

/** Every count a listing's page is cut from, and whether its folder exists, in one statement. */
export async function countListing(db: Executor, scope: ListScope): Promise<ListingCounts> {
  const media = wantsMedia(scope);
  const result = await sql<ListingCounts>`select
    ${scope.folderId === null ? sql`true` : sql`exists (select 1 from folders where id = ${scope.folderId} and owner_id = ${scope.viewerId})`} as "folderFound",
    ${scope.filter.folders ? sql`(select count(*)::int from folders where ${folderWhere(scope)})` : sql`0`} as folders,
    ${media ? sql`(select count(*)::int from media where ${mediaWhere(scope, scope.viewerId)})` : sql`0`} as own,
    ${media && scope.folderId === null ? sql`(select count(*)::int from media where ${mediaWhere(scope, null)})` : sql`0`} as shared`.execute(db);
  return result.rows[0]!;
}

/**
 * One page of listed media in the listing's order (key, then id, both in the requested
 * direction). The page's ids come from an index-only range scan of the sort field's index (its
 * key is (owner, folder, key, id): ordering by all four is the listing's order, and spelled this
 * way the planner reads the index in order instead of sorting); only the page's rows are then
 * read whole. When shared test media are listed too (`withShared`), both owners' first
 * `offset + limit` entries are merged; otherwise the viewer's index range is read alone, with no
 * sort at all.
 */
export async function pageOfListedMedia(db: Executor, scope: ListScope, withShared: boolean, offset: number, limit: number): Promise<ListedMediaRow[]> {
  if (!wantsMedia(scope) || limit <= 0) return [];
  const key = mediaSortKey[scope.sortField];
  const direction = scope.sortOrder === 'asc' ? sql`asc` : sql`desc`;
  const branch = (owner: string | null) =>
    sql`select id, ${key} as sort_key from media where ${mediaWhere(scope, owner)}
      order by owner_id ${direction}, folder_id ${direction}, ${key} ${direction}, id ${direction}`;
  const ids = withShared
    ? sql`select id, sort_key from ((${branch(scope.viewerId)} limit ${offset + limit}) union all (${branch(null)} limit ${offset + limit})) as merged
      order by sort_key ${direction}, id ${direction} offset ${offset} limit ${limit}`
    : sql`${branch(scope.viewerId)} offset ${offset} limit ${limit}`;
  const result = await sql<ListedMediaRow>`
    select ${listedColumns} from (${ids}) as page
    join media on media.id = page.id
    order by page.sort_key ${direction}, page.id ${direction}`.execute(db);
  return result.rows;
}

/**
 * The versions of what a viewer's listings show: their own media and folders, and the shared
 * media (0 where nothing was ever written). The database changes them in every transaction that
 * writes such rows (migration 0015), so an answer made after reading them is still the answer
 * while they read the same.
 */
export async function listingVersions(db: Executor, viewerId: string): Promise<{ own: string; shared: string }> {
  const result = await sql<{ own: string; shared: string }>`select
    coalesce(max(version) filter (where owner_key = ${viewerId}), 0)::text as own,
    coalesce(max(version) filter (where owner_key = ''), 0)::text as shared
    from media_list_versions where owner_key in (${viewerId}, '')`.execute(db);
  return result.rows[0]!;
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
