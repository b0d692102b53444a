import { sql, type Kysely } from 'kysely';

/**
 * The audio library: shared media entries of kind `audiolib` (owner null, like test media),
 * each a music track or a sound, in a category and optionally a mood; categories and moods are
 * per library type. One row records the state of the operator's import of the library's list.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audiolib_categories', 'audiolib_moods']) {
    await db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('audiolib_type', 'text', (c) => c.notNull().check(sql`audiolib_type in ('music', 'sound')`))
      .addColumn('name', 'text', (c) => c.notNull())
      .addUniqueConstraint(`${table}_type_name_key`, ['audiolib_type', 'name'])
      .execute();
  }

  await sql`alter table media drop constraint media_type_check`.execute(db);
  await sql`alter table media add constraint media_type_check check (type in ('test', 'uploaded', 'url', 'output', 'voiceover', 'audiolib'))`.execute(db);
  await db.schema
    .alterTable('media')
    .addColumn('audiolib_type', 'text', (c) => c.check(sql`audiolib_type in ('music', 'sound')`))
    .execute();
  // A category or mood that no file uses any more is deleted by the import; entries never point at a missing one.
  await sql`alter table media add constraint media_category_fk foreign key (category_id) references audiolib_categories (id) on delete set null`.execute(db);
  await sql`alter table media add constraint media_mood_fk foreign key (mood_id) references audiolib_moods (id) on delete set null`.execute(db);
  await sql`create index media_category_idx on media (category_id) where category_id is not null`.execute(db);
  await sql`create index media_mood_idx on media (mood_id) where mood_id is not null`.execute(db);
  // One entry per file of the library's folder (its relative path), whatever the list calls it.
  await sql`create unique index media_audiolib_source_idx on media (source) where type = 'audiolib'`.execute(db);
  // The library's listings: one type, sorted by name or time then id, filtered on the index alone.
  await sql`create index media_audiolib_name_idx on media (audiolib_type, name_key, id) include (category_id, mood_id) where type = 'audiolib'`.execute(db);
  await sql`create index media_audiolib_time_idx on media (audiolib_type, create_time_ms, id) include (name_key, category_id, mood_id) where type = 'audiolib'`.execute(
    db,
  );

  await db.schema
    .createTable('audiolib_import')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id = 'current'`))
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('idle')
        .check(sql`state in ('idle', 'running', 'done', 'failed')`),
    )
    // The run holding the import: a replica whose run lost it (heartbeat too old) stops writing.
    .addColumn('run_id', 'text')
    .addColumn('total_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('processed_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('started_at', 'timestamptz')
    .addColumn('heartbeat_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await sql`insert into audiolib_import (id) values ('current')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audiolib_import').execute();
  await sql`delete from media where type = 'audiolib'`.execute(db);
  await sql`drop index media_audiolib_time_idx`.execute(db);
  await sql`drop index media_audiolib_name_idx`.execute(db);
  await sql`drop index media_audiolib_source_idx`.execute(db);
  await sql`drop index media_mood_idx`.execute(db);
  await sql`drop index media_category_idx`.execute(db);
  await sql`alter table media drop constraint media_mood_fk`.execute(db);
  await sql`alter table media drop constraint media_category_fk`.execute(db);
  await db.schema.alterTable('media').dropColumn('audiolib_type').execute();
  await sql`alter table media drop constraint media_type_check`.execute(db);
  await sql`alter table media add constraint media_type_check check (type in ('test', 'uploaded', 'url', 'output', 'voiceover'))`.execute(db);
  await db.schema.dropTable('audiolib_moods').execute();
  await db.schema.dropTable('audiolib_categories').execute();
}
