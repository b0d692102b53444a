import { sql, type Kysely } from 'kysely';

/**
 * What ffprobe said of each stored original when it was ingested: a render reads it from its
 * work order instead of probing the same bytes again (over HTTP, from an object store) before it
 * can start. A row goes with its media. Expand-only: the previous release ignores the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table media_probes (
    media_id text primary key references media(id) on delete cascade,
    probe text not null
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists media_probes`.execute(db);
}
