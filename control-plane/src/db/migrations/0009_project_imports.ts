import { sql, type Kysely } from 'kysely';

/**
 * Project imports: a session receives a zip in chunks (as media uploads do), a render node
 * unpacks it, its media are ingested, and the project is made under the session's id. The row
 * keeps what the import made (folder, media) so that a cancel or a failure removes exactly that.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('project_imports')
    // The id of the project the import makes (the editor API answers "the id of the new project").
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('fps_num', 'integer')
    .addColumn('fps_den', 'integer')
    .addColumn('create_folder', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('received_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('stage', 'text', (c) => c.notNull().defaultTo('upload'))
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('error', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('task_id', 'text')
    .addColumn('folder_id', 'text')
    .addColumn('media_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('timeline', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('project_imports_stage_check', sql`stage in ('upload', 'unpack', 'import_media', 'ready')`)
    .execute();
  await db.schema.createIndex('project_imports_owner_idx').on('project_imports').column('owner_id').execute();
  await db.schema.createIndex('project_imports_stage_idx').on('project_imports').columns(['stage', 'failed']).execute();

  await db.schema
    .createTable('project_import_chunks')
    .addColumn('import_id', 'text', (c) => c.notNull().references('project_imports.id').onDelete('cascade'))
    .addColumn('start_byte', 'bigint', (c) => c.notNull())
    .addColumn('end_byte', 'bigint', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('project_import_chunks_pk', ['import_id', 'start_byte', 'end_byte'])
    .execute();
}
