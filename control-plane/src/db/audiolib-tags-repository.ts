import { sql, type Kysely, type SqlBool } from 'kysely';
import { newId } from '../ids.js';
import type { AudiolibType, DB } from './schema.js';

/** The audio library's two tag tables, of one shape. */
export type TagTable = 'audiolib_categories' | 'audiolib_moods';

export interface TagCount {
  id: string;
  name: string;
  entriesCount: number;
}

/**
 * Queries of one of the audio library's tag tables (its categories or its moods): one instance
 * per table. `db` parameters take a transaction in progress.
 */
export class AudiolibTagsRepository {
  constructor(
    private readonly db: Kysely<DB>,
    readonly table: TagTable,
  ) {}

  /** The id of a tag of a type, made when it does not exist yet. */
  async idOf(audiolibType: AudiolibType, name: string, db: Kysely<DB> = this.db): Promise<string> {
    const inserted = await db
      .insertInto(this.table)
      .values({ id: newId(), audiolib_type: audiolibType, name })
      .onConflict((oc) => oc.columns(['audiolib_type', 'name']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return inserted.id;
    const existing = await db.selectFrom(this.table).select('id').where('audiolib_type', '=', audiolibType).where('name', '=', name).executeTakeFirstOrThrow();
    return existing.id;
  }

  /** Deletes the tags no library file refers to any more; answers how many. */
  async deleteUnused(): Promise<number> {
    const table = this.table;
    const column = table === 'audiolib_categories' ? sql.ref('media.category_id') : sql.ref('media.mood_id');
    const result = await this.db
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

  /** The tags of a type with how many files each has, by name. */
  async withCounts(audiolibType: AudiolibType): Promise<TagCount[]> {
    const column = this.table === 'audiolib_categories' ? 'category_id' : 'mood_id';
    const result = await sql<TagCount>`
    select t.id, t.name, count(m.id)::int as "entriesCount"
    from ${sql.table(this.table)} t
    left join media m on m.${sql.ref(column)} = t.id and m.type = 'audiolib'
    where t.audiolib_type = ${audiolibType}
    group by t.id, t.name
    order by lower(t.name) collate "C", t.id`.execute(this.db);
    return result.rows;
  }
}
