import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SqlBool,
  type Updateable,
} from 'kysely';
import type { AudiolibType, DB, MediaError, MediaStatus, MediaTable, MediaType } from './schema.js';

/**
 * Queries of media rows: listing a folder of the library (its counts and a page of its files;
 * the page of its folders is the folders repository's), the audio library's files, one entry,
 * and the rows uploads, imports, ingest, renders and deletions make and change. No rules here:
 * who may see what is decided by the services, which pass the viewer and scope in.
 */

export type MediaRow = Selectable<MediaTable>;
export type NewMediaRow = Insertable<MediaTable>;
export type MediaChanges = Updateable<MediaTable>;

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
export function searchCondition(lowered: RawBuilder<unknown>, search: string | undefined) {
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

/**
 * The versions of what a viewer's listings show: their own media and folders, and the shared
 * media (0 where nothing was ever written). The database changes them in every transaction that
 * writes such rows (migration 0015), so an answer made after reading them is still the answer
 * while they read the same.
 */
export interface ListingVersions {
  own: string;
  shared: string;
}

/**
 * The listing versions of the user `userId` names (a column or a value) as the columns `own` and
 * `shared` of any statement: a request's first statement (its token's user) reads them too, and
 * a list answer is checked for reuse without a round trip of its own.
 */
export function listingVersionColumns(userId: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`coalesce((select version from media_list_versions where owner_key = ${userId}), 0)::text as own,
    coalesce((select version from media_list_versions where owner_key = ''), 0)::text as shared`;
}

/** Which of the audio library's files a list shows. */
export interface LibraryScope {
  audiolibType: AudiolibType;
  categoryId?: string | undefined;
  moodId?: string | undefined;
  /** Case-insensitive substring of the name. */
  search?: string | undefined;
}

export interface LibraryPage {
  sortField: 'name' | 'createTime';
  sortOrder: 'asc' | 'desc';
  offset: number;
  limit: number;
}

/** What the audio library's list says of a file, beyond its bytes. */
export interface LibraryFields {
  name: string;
  audiolibType: AudiolibType;
  categoryId: string | null;
  moodId: string | null;
}

function libraryConditions(eb: ExpressionBuilder<DB, 'media'>, scope: LibraryScope): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [eb('type', '=', 'audiolib'), eb('audiolib_type', '=', scope.audiolibType)];
  if (scope.categoryId !== undefined) conditions.push(eb('category_id', '=', scope.categoryId));
  if (scope.moodId !== undefined) conditions.push(eb('mood_id', '=', scope.moodId));
  if (scope.search !== undefined && scope.search !== '') {
    // LIKE wildcards in the search are literal characters.
    const pattern = `%${scope.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql<SqlBool>`name_key like ${pattern}`);
  }
  return eb.and(conditions);
}

/** Ids per statement where a list of ids can be long (a project's media, a deleted folder's files). */
const IDS_PER_STATEMENT = 1000;

/** Queries of media rows. `db` parameters take a transaction in progress; `trx` ones need one. */
export class MediaRepository {
  constructor(private readonly db: Kysely<DB>) {}

  // ---- the library's listing ----

  /**
   * Every count a listing's page is cut from and whether its folder exists, and, in the same
   * statement (one round trip, one snapshot), the page when it is the viewer's files alone: when
   * the listing shows no folders and no shared test media, positions [start, start + count) are
   * the viewer's files at the same positions (read as `pageOfListed` reads them). Otherwise a
   * one-time filter on the counts skips that read, `ownPage` is undefined, and the page is cut
   * from the counts by the caller.
   */
  async countAndPageListing(scope: ListScope, start: number, count: number): Promise<{ counts: ListingCounts; ownPage: ListedMediaRow[] | undefined }> {
    const media = wantsMedia(scope);
    const counted = sql`counted as materialized (select
    ${scope.folderId === null ? sql`true` : sql`exists (select 1 from folders where id = ${scope.folderId} and owner_id = ${scope.viewerId})`} as "folderFound",
    ${scope.filter.folders ? sql`(select count(*)::int from folders where ${folderWhere(scope)})` : sql`0`} as folders,
    ${media ? sql`(select count(*)::int from media where ${mediaWhere(scope, scope.viewerId)})` : sql`0`} as own,
    ${media && scope.folderId === null ? sql`(select count(*)::int from media where ${mediaWhere(scope, null)})` : sql`0`} as shared)`;
    if (!media || count <= 0) {
      const result = await sql<ListingCounts>`with ${counted} select * from counted`.execute(this.db);
      return { counts: result.rows[0]!, ownPage: [] };
    }
    const key = mediaSortKey[scope.sortField];
    const direction = scope.sortOrder === 'asc' ? sql`asc` : sql`desc`;
    // The offset and limit are constants, so the page is planned as `pageOfListed`'s is.
    const result = await sql<ListingCounts & ({ id: null } | (ListedMediaRow & { sort_key: unknown }))>`with ${counted}
    select counted.*, page.* from counted
    left join (
      select page.sort_key, ${listedColumns} from (
        select id, ${key} as sort_key from media
        where ${mediaWhere(scope, scope.viewerId)} and (select folders = 0 and shared = 0 from counted)
        order by owner_id ${direction}, folder_id ${direction}, ${key} ${direction}, id ${direction}
        offset ${start} limit ${count}
      ) as page
      join media on media.id = page.id
    ) as page on true
    order by page.sort_key ${direction}, page.id ${direction}`.execute(this.db);
    const first = result.rows[0]!;
    const counts: ListingCounts = { folderFound: first.folderFound, folders: first.folders, own: first.own, shared: first.shared };
    if (counts.folders > 0 || counts.shared > 0) return { counts, ownPage: undefined };
    const ownPage: ListedMediaRow[] = [];
    for (const row of result.rows) {
      if (row.id === null) continue;
      const { folderFound: _found, folders: _folders, own: _own, shared: _shared, sort_key: _key, ...entry } = row;
      ownPage.push(entry);
    }
    return { counts, ownPage };
  }

  /** The versions of what a viewer's listings show (see `ListingVersions`). */
  async listingVersions(viewerId: string): Promise<ListingVersions> {
    const result = await sql<ListingVersions>`select ${listingVersionColumns(sql`${viewerId}`)}`.execute(this.db);
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
  async pageOfListed(scope: ListScope, withShared: boolean, offset: number, limit: number): Promise<ListedMediaRow[]> {
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
    order by page.sort_key ${direction}, page.id ${direction}`.execute(this.db);
    return result.rows;
  }

  // ---- the audio library ----

  async countInLibrary(scope: LibraryScope): Promise<number> {
    const row = await this.db
      .selectFrom('media')
      .select(sql<number>`count(*)::int`.as('n'))
      .where((eb) => libraryConditions(eb, scope))
      .executeTakeFirstOrThrow();
    return row.n;
  }

  /** One page of library files, by name (case-insensitive, code point order) or creation time, then id. */
  async pageOfLibrary(scope: LibraryScope, page: LibraryPage): Promise<MediaRow[]> {
    if (page.limit <= 0) return [];
    const direction = page.sortOrder === 'asc' ? sql`asc` : sql`desc`;
    const key = page.sortField === 'name' ? sql`name_key` : sql`create_time_ms`;
    return this.db
      .selectFrom('media')
      .selectAll()
      .where((eb) => libraryConditions(eb, scope))
      .orderBy(sql`${key} ${direction}`)
      .orderBy(sql`id ${direction}`)
      .offset(page.offset)
      .limit(page.limit)
      .execute();
  }

  findInLibrary(id: string): Promise<MediaRow | undefined> {
    return this.db.selectFrom('media').selectAll().where('id', '=', id).where('type', '=', 'audiolib').executeTakeFirst();
  }

  findInLibraryBySource(source: string): Promise<MediaRow | undefined> {
    return this.db.selectFrom('media').selectAll().where('type', '=', 'audiolib').where('source', '=', source).executeTakeFirst();
  }

  allInLibrary(): Promise<MediaRow[]> {
    return this.db.selectFrom('media').selectAll().where('type', '=', 'audiolib').execute();
  }

  setLibraryFields(id: string, fields: LibraryFields, db: Kysely<DB> = this.db): Promise<MediaRow | undefined> {
    return db
      .updateTable('media')
      .set({
        name: fields.name,
        audiolib_type: fields.audiolibType,
        category_id: fields.categoryId,
        mood_id: fields.moodId,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .where('type', '=', 'audiolib')
      .returningAll()
      .executeTakeFirst();
  }

  // ---- shared test media ----

  allTestMedia(): Promise<MediaRow[]> {
    return this.db.selectFrom('media').selectAll().where('type', '=', 'test').where('owner_id', 'is', null).execute();
  }

  findTestBySource(source: string): Promise<MediaRow | undefined> {
    return this.db.selectFrom('media').selectAll().where('type', '=', 'test').where('source', '=', source).executeTakeFirst();
  }

  // ---- entries ----

  /** One media row a viewer may see: their own, or shared. */
  findVisible(viewerId: string, id: string): Promise<MediaRow | undefined> {
    return this.db
      .selectFrom('media')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => eb.or([eb('owner_id', '=', viewerId), eb('owner_id', 'is', null)]))
      .executeTakeFirst();
  }

  /** The rows among `ids` a viewer may see (their own and shared ones), in no order. */
  async visibleByIds(viewerId: string, ids: string[]): Promise<MediaRow[]> {
    const rows: MediaRow[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      rows.push(
        ...(await this.db
          .selectFrom('media')
          .selectAll()
          .where('id', 'in', ids.slice(i, i + IDS_PER_STATEMENT))
          .where((eb) => eb.or([eb('owner_id', '=', viewerId), eb('owner_id', 'is', null)]))
          .execute()),
      );
    }
    return rows;
  }

  find(id: string): Promise<MediaRow | undefined> {
    return this.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Total bytes of a user's media (every status: uploads in progress reserve their declared size). */
  async bytesOwnedBy(ownerId: string, db: Kysely<DB> = this.db): Promise<number> {
    const row = await db
      .selectFrom('media')
      .select(sql<number>`coalesce(sum(size_bytes), 0)::bigint`.as('total'))
      .where('owner_id', '=', ownerId)
      .executeTakeFirstOrThrow();
    return Number(row.total);
  }

  /** Serializes the quota checks and creations of one owner's media until the transaction ends. */
  async lockQuota(trx: Kysely<DB>, ownerId: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext(${`media-quota:${ownerId}`}))`.execute(trx);
  }

  insert(row: NewMediaRow, db: Kysely<DB> = this.db): Promise<MediaRow> {
    return db.insertInto('media').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /**
   * Changes an entry; with `whenStatus`, only while it is in one of those statuses. Undefined
   * when the entry is gone or the guard did not hold.
   */
  update(id: string, changes: MediaChanges, whenStatus?: MediaStatus[], db: Kysely<DB> = this.db): Promise<MediaRow | undefined> {
    let query = db.updateTable('media').set(changes).where('id', '=', id);
    if (whenStatus) query = query.where('status', 'in', whenStatus);
    return query.returningAll().executeTakeFirst();
  }

  /** The owner's entry, locked until the transaction ends. */
  lockOwn(trx: Kysely<DB>, ownerId: string, id: string): Promise<MediaRow | undefined> {
    return trx.selectFrom('media').selectAll().where('id', '=', id).where('owner_id', '=', ownerId).forUpdate().executeTakeFirst();
  }

  async deleteMany(trx: Kysely<DB>, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      await trx
        .deleteFrom('media')
        .where('id', 'in', ids.slice(i, i + IDS_PER_STATEMENT))
        .execute();
    }
  }

  // ---- uploads and folders ----

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

  /** Whether any entry, whoever's, is in the folder. */
  async anyInFolder(folderId: string): Promise<boolean> {
    const rows = await this.db.selectFrom('media').select('id').where('folder_id', '=', folderId).limit(1).execute();
    return rows.length > 0;
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

  // ---- renders' outputs ----

  /** Mirrors a render's progress onto its output entries still rendering. */
  async setRenderProgress(ids: string[], progress: number): Promise<void> {
    await this.db.updateTable('media').set({ progress, updated_at: new Date() }).where('id', 'in', ids).where('status', '=', 'render').execute();
  }

  /** A failed render's outputs (rendering, or already marked ready) go back to rendering with the error and no bytes. */
  async markRenderFailed(trx: Kysely<DB>, ids: string[], error: MediaError): Promise<void> {
    await trx
      .updateTable('media')
      .set({ status: 'render', error: JSON.stringify(error), original_key: null, size_bytes: 0, updated_at: new Date() })
      .where('id', 'in', ids)
      .where('status', 'in', ['render', 'ready'])
      .execute();
  }

  /** Those of `ids` still rendering, locked until the transaction ends. */
  lockRendering(trx: Kysely<DB>, ids: string[]): Promise<MediaRow[]> {
    return trx.selectFrom('media').selectAll().where('id', 'in', ids).where('status', '=', 'render').forUpdate().execute();
  }

  // ---- project imports' media ----

  /** Where each of the entries stands (those still there). */
  outcomesOf(ids: string[]): Promise<Array<Pick<MediaRow, 'id' | 'name' | 'status' | 'error'>>> {
    return this.db.selectFrom('media').select(['id', 'name', 'status', 'error']).where('id', 'in', ids).execute();
  }

  /** The ingest task of each of the entries (those still there). */
  tasksOf(ids: string[]): Promise<Array<Pick<MediaRow, 'id' | 'task_id'>>> {
    return this.db.selectFrom('media').select(['id', 'task_id']).where('id', 'in', ids).execute();
  }

  /** The status line of each of the entries (those still there). */
  progressOf(ids: string[]): Promise<Array<Pick<MediaRow, 'status' | 'progress' | 'error'>>> {
    return this.db.selectFrom('media').select(['status', 'progress', 'error']).where('id', 'in', ids).execute();
  }
}
