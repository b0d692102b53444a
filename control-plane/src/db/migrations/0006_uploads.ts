import { sql, type Kysely } from 'kysely';

/** Resumable uploads (sessions and the chunks received) and the index of prepared thumbnails. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('media').addColumn('thumbnails_index', 'jsonb').execute();

  await db.schema
    .createTable('upload_sessions')
    // The session id is the media entry's id, as the editor API answers one id for both.
    .addColumn('media_id', 'text', (c) => c.primaryKey().references('media.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('receiving'))
    .addColumn('received_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('upload_sessions_state_check', sql`state in ('receiving', 'complete')`)
    .execute();
  await db.schema.createIndex('upload_sessions_expiry_idx').on('upload_sessions').column('expires_at').execute();

  await db.schema
    .createTable('upload_chunks')
    .addColumn('media_id', 'text', (c) => c.notNull().references('upload_sessions.media_id').onDelete('cascade'))
    .addColumn('start_byte', 'bigint', (c) => c.notNull())
    .addColumn('end_byte', 'bigint', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('upload_chunks_pk', ['media_id', 'start_byte', 'end_byte'])
    .execute();
}
