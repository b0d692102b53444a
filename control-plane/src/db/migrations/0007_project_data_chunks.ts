import { sql, type Kysely } from 'kysely';

/**
 * A project's data is kept in content-defined chunks (see services/data-chunks.ts): the
 * project row holds the list of its chunks' hashes, in order, and an autosave writes only the
 * chunks the project does not have yet. Existing data becomes one chunk each, named as the
 * service names chunks (128 bits of SHA-256, base64url).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('project_data_chunks')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('hash', 'text', (c) => c.notNull())
    // Text, not bytes: chunks are cut between UTF-8 characters, and text answers come back as strings.
    .addColumn('content', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_data_chunks_pk', ['project_id', 'hash'])
    .execute();
  const { rows } = await sql<{ lz4: boolean }>`
    select coalesce((select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'), false) as lz4
  `.execute(db);
  if (rows[0]?.lz4) await sql`alter table project_data_chunks alter column content set compression lz4`.execute(db);

  await db.schema
    .alterTable('projects')
    .addColumn('data_chunks', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
  await sql`
    insert into project_data_chunks (project_id, hash, content)
    select id, translate(rtrim(encode(substring(sha256(convert_to(data_json, 'UTF8')) from 1 for 16), 'base64'), '='), '+/', '-_'), data_json
    from projects
  `.execute(db);
  await sql`update projects set data_chunks = array[(select hash from project_data_chunks where project_id = projects.id)]`.execute(db);
  await db.schema.alterTable('projects').dropColumn('data_json').execute();
}
