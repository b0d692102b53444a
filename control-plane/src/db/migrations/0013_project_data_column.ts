import { sql, type Kysely } from 'kysely';

/** A project's data as one compressed text column (the plain design, measured against chunks). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('data_json', 'text').execute();
  const { rows } = await sql<{ lz4: boolean }>`
    select coalesce((select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'), false) as lz4
  `.execute(db);
  if (rows[0]?.lz4) await sql`alter table projects alter column data_json set compression lz4`.execute(db);
}
