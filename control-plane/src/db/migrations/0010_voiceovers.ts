import { sql, type Kysely } from 'kysely';

/**
 * Live voiceover sessions, one row each while a control-plane process holds its WebRTC
 * connection: the media stay in that process, the row lets every replica count them and tell
 * a request that reached the wrong replica where the session is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('voiceover_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('replica_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('voiceover_sessions_replica_idx').on('voiceover_sessions').columns(['replica_id', 'heartbeat_at']).execute();
}
