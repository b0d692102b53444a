import { sql, type Kysely } from 'kysely';

/**
 * A version of each owner's media library (`owner_key`: the owner's id, '' for shared media),
 * changed by the database itself on every write of the owner's media or folders, in the
 * writing transaction: a replica that reads the version it cached a list answer under knows
 * the answer is still the one the database would give. Values come from a sequence, so a
 * version never returns (a deleted row, a rolled-back write). The triggers are deferred to the
 * commit: the version row is locked for the last moment of a transaction only, after every
 * other row it writes, so two writers of one library cannot deadlock on it; and a transaction
 * that writes thousands of rows changes the version once (`bumped_by`). TRUNCATE changes every
 * version. Expand-only: the previous release's replicas write through the same triggers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create sequence media_list_version_seq`.execute(db);
  await sql`create table media_list_versions (
    owner_key text primary key,
    version bigint not null,
    bumped_by xid8 not null
  )`.execute(db);
  await sql`create function media_list_bump(key text) returns void language sql as $$
    insert into media_list_versions (owner_key, version, bumped_by)
    values (key, nextval('media_list_version_seq'), pg_current_xact_id())
    on conflict (owner_key) do update set version = excluded.version, bumped_by = excluded.bumped_by
    where media_list_versions.bumped_by <> excluded.bumped_by
  $$`.execute(db);
  await sql`create function media_list_row_changed() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' then
        perform media_list_bump(coalesce(old.owner_id, ''));
      end if;
      if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.owner_id is distinct from old.owner_id) then
        perform media_list_bump(coalesce(new.owner_id, ''));
      end if;
      return null;
    end
  $$`.execute(db);
  await sql`create function media_list_truncated() returns trigger language plpgsql as $$
    begin
      update media_list_versions set version = nextval('media_list_version_seq'), bumped_by = pg_current_xact_id();
      return null;
    end
  $$`.execute(db);
  for (const table of ['media', 'folders']) {
    await sql`create constraint trigger ${sql.raw(`${table}_list_version`)} after insert or update or delete on ${sql.table(table)}
      deferrable initially deferred for each row execute function media_list_row_changed()`.execute(db);
    await sql`create trigger ${sql.raw(`${table}_list_version_truncate`)} after truncate on ${sql.table(table)}
      for each statement execute function media_list_truncated()`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['media', 'folders']) {
    await sql`drop trigger if exists ${sql.raw(`${table}_list_version_truncate`)} on ${sql.table(table)}`.execute(db);
    await sql`drop trigger if exists ${sql.raw(`${table}_list_version`)} on ${sql.table(table)}`.execute(db);
  }
  await sql`drop function if exists media_list_truncated()`.execute(db);
  await sql`drop function if exists media_list_row_changed()`.execute(db);
  await sql`drop function if exists media_list_bump(text)`.execute(db);
  await sql`drop table if exists media_list_versions`.execute(db);
  await sql`drop sequence if exists media_list_version_seq`.execute(db);
}
