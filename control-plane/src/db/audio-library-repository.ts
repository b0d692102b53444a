import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { newId } from '../ids.js';
import type { Executor, MediaRow } from './media-repository.js';
import type { AudiolibType, DB } from './schema.js';

/**
 * Queries of the audio library: its files (shared media rows of kind `audiolib`), listed by
 * type, category, mood and name; its categories and moods with their file counts. No rules here.
 */

export type TagTable = 'audiolib_categories' | 'audiolib_moods';

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

export interface TagCount {
  id: string;
  name: string;
  entriesCount: number;
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

export async function countLibraryFiles(db: Executor, scope: LibraryScope): Promise<number> {
  const row = await db
    .selectFrom('media')
    .select(sql<number>`count(*)::int`.as('n'))
    .where((eb) => libraryConditions(eb, scope))
    .executeTakeFirstOrThrow();
  return row.n;
}

/** One page of library files, by name (case-insensitive, code point order) or creation time, then id. */
export async function pageOfLibraryFiles(db: Executor, scope: LibraryScope, page: LibraryPage): Promise<MediaRow[]> {
  if (page.limit <= 0) return [];
  const direction = page.sortOrder === 'asc' ? sql`asc` : sql`desc`;
  const key = page.sortField === 'name' ? sql`name_key` : sql`create_time_ms`;
  return db
    .selectFrom('media')
    .selectAll()
    .where((eb) => libraryConditions(eb, scope))
    .orderBy(sql`${key} ${direction}`)
    .orderBy(sql`id ${direction}`)
    .offset(page.offset)
    .limit(page.limit)
    .execute();
}

export async function findLibraryFile(db: Executor, id: string): Promise<MediaRow | undefined> {
  return db.selectFrom('media').selectAll().where('id', '=', id).where('type', '=', 'audiolib').executeTakeFirst();
}

export async function findLibraryFileBySource(db: Executor, source: string): Promise<MediaRow | undefined> {
  return db.selectFrom('media').selectAll().where('type', '=', 'audiolib').where('source', '=', source).executeTakeFirst();
}

export async function allLibraryFiles(db: Executor): Promise<MediaRow[]> {
  return db.selectFrom('media').selectAll().where('type', '=', 'audiolib').execute();
}

/** What the list says of a file, beyond its bytes. */
export interface LibraryFields {
  name: string;
  audiolibType: AudiolibType;
  categoryId: string | null;
  moodId: string | null;
}

export async function setLibraryFields(db: Executor, id: string, fields: LibraryFields): Promise<MediaRow | undefined> {
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

/** The id of a category or mood of a type, made when it does not exist yet. */
export async function tagId(db: Executor, table: TagTable, audiolibType: AudiolibType, name: string): Promise<string> {
  const inserted = await db
    .insertInto(table)
    .values({ id: newId(), audiolib_type: audiolibType, name })
    .onConflict((oc) => oc.columns(['audiolib_type', 'name']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return inserted.id;
  const existing = await db.selectFrom(table).select('id').where('audiolib_type', '=', audiolibType).where('name', '=', name).executeTakeFirstOrThrow();
  return existing.id;
}

/** Categories or moods no library file refers to any more. */
export async function deleteUnusedTags(db: Executor, table: TagTable): Promise<number> {
  const column = table === 'audiolib_categories' ? sql.ref('media.category_id') : sql.ref('media.mood_id');
  const result = await db
    .deleteFrom(table)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('media')
            .select(sql`1`.as('one'))
            .where(sql<SqlBool>`${column} = ${sql.ref(`${table}.id`)}`),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The categories or moods of a type with how many files each has, by name. */
export async function tagsWithCounts(db: Executor, table: TagTable, audiolibType: AudiolibType): Promise<TagCount[]> {
  const column = table === 'audiolib_categories' ? 'category_id' : 'mood_id';
  const result = await sql<TagCount>`
    select t.id, t.name, count(m.id)::int as "entriesCount"
    from ${sql.table(table)} t
    left join media m on m.${sql.ref(column)} = t.id and m.type = 'audiolib'
    where t.audiolib_type = ${audiolibType}
    group by t.id, t.name
    order by lower(t.name) collate "C", t.id`.execute(db);
  return result.rows;
}
