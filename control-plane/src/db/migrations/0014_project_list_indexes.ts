import { sql, type Kysely } from 'kysely';

/**
 * A project list is one index range per sort field: (owner, key, id) read forwards or backwards
 * answers both directions of the listing's order (key, then id, the same way) with no sort, and
 * with the offset skipped in the index. The first index, (owner, modif_ms desc, id), ordered id
 * against the key's direction, so even the default order sorted. Expand-only: it stays, unused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index projects_list_modif_idx on projects (owner_id, modif_ms, id)`.execute(db);
  await sql`create index projects_list_create_idx on projects (owner_id, create_ms, id)`.execute(db);
  await sql`create index projects_list_name_idx on projects (owner_id, lower(name), id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists projects_list_name_idx`.execute(db);
  await sql`drop index if exists projects_list_create_idx`.execute(db);
  await sql`drop index if exists projects_list_modif_idx`.execute(db);
}
