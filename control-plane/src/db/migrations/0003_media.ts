import { sql, type Kysely } from 'kysely';

/**
 * The media library: folders, media entries (the editor API's media_file_entry_object plus where its
 * bytes are stored), and the queue of stored objects to remove after rows are deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('folders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('parent_id', 'text', (c) => c.references('folders.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('create_time_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('folders_owner_parent_idx').on('folders').columns(['owner_id', 'parent_id']).execute();
  await db.schema.createIndex('folders_parent_idx').on('folders').column('parent_id').execute();

  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Null for shared `test` media, which every user sees.
    .addColumn('owner_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    // No cascade: deleting a folder is the service's job, which removes the stored bytes too.
    .addColumn('folder_id', 'text', (c) => c.references('folders.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('test', 'uploaded', 'url', 'output', 'voiceover')`))
    .addColumn('filetype', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull().check(sql`media_type in ('video', 'audio', 'image')`))
    .addColumn('duration_hns', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('width', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('height', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('thumbnail', 'text')
    .addColumn('audio_tracks', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('render', 'upload', 'import', 'convert', 'prepare_thumbnails', 'ready')`))
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'jsonb')
    .addColumn('task_id', 'text')
    .addColumn('category_id', 'text')
    .addColumn('mood_id', 'text')
    .addColumn('original_key', 'text')
    .addColumn('proxy_key', 'text')
    .addColumn('thumbnails_key', 'text')
    .addColumn('source', 'text')
    .addColumn('source_version', 'text')
    .addColumn('create_time_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The name as lists sort and search it: lower-cased, compared byte-wise (the same on every
  // server locale). Stored, so indexes hold it and can answer searches without the table.
  // (A substring search scans one user's folder in the index: about a millisecond for 10,000
  // files. pg_trgm would need loading into PGlite and rights on managed Postgres for little gain.)
  await sql`alter table media add column name_key text collate "C" generated always as (lower(name)) stored`.execute(db);
  // One index per sort field, led by the listing's equality columns and ended by the id
  // tie-breaker, so a page of a sorted folder is an index range scan, never a sort of the
  // library. The included columns let filters and searches run on the index alone.
  await sql`create index media_list_time_idx on media (owner_id, folder_id, create_time_ms, id) include (name_key, media_type, type)`.execute(db);
  await sql`create index media_list_name_idx on media (owner_id, folder_id, name_key, id) include (media_type, type)`.execute(db);
  await sql`create index media_list_size_idx on media (owner_id, folder_id, size_bytes, id) include (name_key, media_type, type)`.execute(db);
  await sql`create index media_list_duration_idx on media (owner_id, folder_id, duration_hns, id) include (name_key, media_type, type)`.execute(db);
  await db.schema.createIndex('media_folder_idx').on('media').column('folder_id').execute();
  await sql`create index media_task_idx on media (task_id) where task_id is not null`.execute(db);
  await sql`create unique index media_test_source_idx on media (source) where type = 'test'`.execute(db);

  await db.schema
    .createTable('object_deletions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull())
    // True: every object whose key starts with `key`; false: that one object.
    .addColumn('is_prefix', 'boolean', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('object_deletions').execute();
  await db.schema.dropTable('media').execute();
  await db.schema.dropTable('folders').execute();
}
