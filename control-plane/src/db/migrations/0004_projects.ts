import { sql, type Kysely } from 'kysely';

/**
 * Projects, their action history, the index of the media their data mentions, overlay images,
 * and the domain events that project changes raise (delivered later as developer callbacks).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    // The JSON text of `data` exactly as the client sent it (a string value keeps its quotes).
    .addColumn('data_json', 'text', (c) => c.notNull())
    .addColumn('thumbnail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('create_ms', 'bigint', (c) => c.notNull())
    .addColumn('modif_ms', 'bigint', (c) => c.notNull())
    // Bumped on every save: a save that finds it changed under it retries under a row lock.
    .addColumn('revision', 'bigint', (c) => c.notNull().defaultTo(0))
    // Digest of the media ids indexed for this project; an unchanged set skips the index write.
    .addColumn('media_digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index projects_owner_modif_idx on projects (owner_id, modif_ms desc, id)`.execute(db);
  // Autosave rewrites megabytes of data: lz4 compresses them several times faster than the
  // default pglz. Servers built without lz4 (and PGlite) keep the default.
  const { rows } = await sql<{ lz4: boolean }>`
    select coalesce((select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'), false) as lz4
  `.execute(db);
  if (rows[0]?.lz4) {
    await sql`alter table projects alter column data_json set compression lz4`.execute(db);
    await sql`alter table projects alter column thumbnail set compression lz4`.execute(db);
  }

  await db.schema
    .createTable('project_media')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('media_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_media_pk', ['project_id', 'media_id'])
    .execute();
  await db.schema.createIndex('project_media_owner_media_idx').on('project_media').columns(['owner_id', 'media_id']).execute();

  // One row per project: the lock and counters that serialize writes to its action history,
  // apart from the project row so an autosave and an action never wait on each other.
  await db.schema
    .createTable('action_histories')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('actions')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('data_json', 'text', (c) => c.notNull())
    .addColumn('canceled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('create_ms', 'bigint', (c) => c.notNull())
    .addColumn('modif_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('actions_pk', ['project_id', 'id'])
    .addUniqueConstraint('actions_project_seq_key', ['project_id', 'seq'])
    .execute();
  await db.schema.createIndex('actions_owner_id_idx').on('actions').columns(['owner_id', 'id']).execute();

  await db.schema
    .createTable('overlay_images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('png', 'bytea', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('overlay_images_owner_idx').on('overlay_images').columns(['owner_id', 'created_at']).execute();

  await db.schema
    .createTable('domain_events')
    .addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('domain_events_user_idx').on('domain_events').column('user_id').execute();
}
