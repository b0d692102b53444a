import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  chunkNames,
  chunkWrites,
  heldChunks,
  insertChunks,
  joinedData,
  joinedDataColumns,
  wholeData,
  type DataPieces,
  type ProjectData,
} from '../project-data/index.js';
import type { Utf8Param } from './database.js';
import type { DB } from './schema.js';

/**
 * Queries of projects, of the chunks of their data and of the index of the media their data
 * mentions. A save first reads the project's `revision` and which of the new data's chunks it
 * already has, then writes the project, the chunks it lacks, its index and its domain event
 * in one statement, on condition that `revision` is still the one read. Chunks are deleted
 * only by a save or a delete of their project, both holding its row lock; so when a concurrent
 * save slipped in between, the statement changes nothing and says so, and the caller repeats
 * the save under the row lock.
 */

export interface NewProjectRow {
  id: string;
  ownerId: string;
  name: string;
  data: ProjectData;
  thumbnail: string;
  createMs: number;
  eventId: string;
}

export interface ProjectChanges {
  name?: string | undefined;
  data?: ProjectData | undefined;
  thumbnail?: string | undefined;
  modifMs: number;
}

export interface ProjectRow {
  id: string;
  name: string;
  thumbnail: string;
  createMs: number;
  modifMs: number;
}

export type SaveOutcome = 'saved' | 'missing' | 'raced';

export type ProjectSortColumn = 'name' | 'create_ms' | 'modif_ms';

export class ProjectsRepository {
  /**
   * `utf8` is the database's (`Database.utf8Param`); without it, data is written as strings,
   * which every driver takes (reads need none).
   */
  constructor(
    private readonly db: Kysely<DB>,
    private readonly utf8: Utf8Param = (bytes) => bytes.toString('utf8'),
  ) {}

  async insert(row: NewProjectRow): Promise<void> {
    const data = row.data;
    await sql`
      with p as (
        insert into projects (id, owner_id, name, data_chunks, thumbnail, create_ms, modif_ms, media_digest)
        values (${row.id}, ${row.ownerId}, ${row.name}, ${chunkNames(data)}::text[], ${row.thumbnail},
                ${row.createMs}, ${row.createMs}, ${data.mediaDigest})
        returning id, owner_id, thumbnail
      ), chunks as (${insertChunks(this.utf8, data, data.chunks)}), history as (
        insert into action_histories (project_id, owner_id) select id, owner_id from p
      ), media as (
        insert into project_media (project_id, owner_id, media_id)
        select p.id, p.owner_id, m from p, unnest(${data.mediaIds}::text[]) as m
      ), event as (
        insert into domain_events (id, user_id, type, payload)
        select ${row.eventId}, owner_id, 'project_create', jsonb_build_object('projectId', id, 'thumbnail', thumbnail) from p
      )
      select id from p
    `.execute(this.db);
  }

  /**
   * Saves changes if no concurrent save comes between this one's read and its write; 'raced'
   * when one did (nothing was changed). Within `withRowLock` it cannot race.
   */
  async save(id: string, ownerId: string, changes: ProjectChanges, eventId: string, db: Kysely<DB> = this.db): Promise<SaveOutcome> {
    const data = changes.data;
    const hashes = data ? chunkNames(data) : [];
    const { rows: found } = await sql<{ revision: number; media_digest: string; held: string[] }>`
      select revision, media_digest, ${heldChunks(id, hashes)} as held
      from projects where id = ${id} and owner_id = ${ownerId}
    `.execute(db);
    const current = found[0];
    if (!current) return 'missing';

    const set: RawBuilder<unknown>[] = [sql`modif_ms = ${changes.modifMs}`, sql`revision = revision + 1`, sql`updated_at = now()`];
    if (changes.name !== undefined) set.push(sql`name = ${changes.name}`);
    if (changes.thumbnail !== undefined) set.push(sql`thumbnail = ${changes.thumbnail}`);
    const writes: RawBuilder<unknown>[] = [];
    if (data) {
      set.push(sql`data_chunks = ${hashes}::text[]`, sql`media_digest = ${data.mediaDigest}`);
      writes.push(...chunkWrites(this.utf8, data, current.held));
      // The index is rewritten only when the set of mentioned ids changed: autosaves of the
      // same timeline touch nothing there. Only the difference is deleted and inserted.
      if (current.media_digest !== data.mediaDigest) {
        writes.push(sql`
          gone as (
            delete from project_media m using p where m.project_id = p.id and m.media_id <> all(${data.mediaIds}::text[])
          ), added as (
            insert into project_media (project_id, owner_id, media_id)
            select p.id, p.owner_id, m from p, unnest(${data.mediaIds}::text[]) as m
            on conflict do nothing
          )`);
      }
    }

    const { rows } = await sql<{ saved: number }>`
      with p as (
        update projects set ${sql.join(set)}
        where id = ${id} and owner_id = ${ownerId} and revision = ${current.revision}
        returning id, owner_id, thumbnail
      ), event as (
        insert into domain_events (id, user_id, type, payload)
        select ${eventId}, owner_id, 'project_update', jsonb_build_object('projectId', id, 'thumbnail', thumbnail) from p
      ) ${writes.length > 0 ? sql`, ${sql.join(writes)}` : sql``}
      select count(*)::int as saved from p
    `.execute(db);
    return rows[0]!.saved === 1 ? 'saved' : 'raced';
  }

  /** Runs `work` in a transaction holding the project's row lock; false when there is no such project. */
  async withRowLock(id: string, ownerId: string, work: (trx: Kysely<DB>) => Promise<void>): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const locked = await trx.selectFrom('projects').select('id').where('id', '=', id).where('owner_id', '=', ownerId).forUpdate().executeTakeFirst();
      if (!locked) return false;
      await work(trx);
      return true;
    });
  }

  async find(id: string, ownerId: string): Promise<(ProjectRow & { dataJson: string }) | undefined> {
    const { rows } = await sql<ProjectRow & DataPieces>`
      select p.id, p.name, p.thumbnail, p.create_ms as "createMs", p.modif_ms as "modifMs",
        ${joinedDataColumns}
      from projects p, ${joinedData}
      where p.id = ${id} and p.owner_id = ${ownerId}
    `.execute(this.db);
    const row = rows[0];
    if (!row) return undefined;
    const { text, pieces, expected, ...project } = row;
    return { ...project, dataJson: wholeData(project.id, { text, pieces, expected }) };
  }

  async list(
    ownerId: string,
    options: { offset: number; limit: number; search?: string | undefined; sort: ProjectSortColumn; descending: boolean },
  ): Promise<{ total: number; rows: ProjectRow[] }> {
    const search = options.search ? sql`and strpos(lower(name), lower(${options.search})) > 0` : sql``;
    const direction = options.descending ? sql`desc` : sql`asc`;
    // Names sort without regard to case, the same on every server collation.
    const key = options.sort === 'name' ? sql`lower(name)` : sql.ref(options.sort);
    // The count and the page in one statement. The page's ids come from an index-only range scan
    // of (owner, key, id) in the listing's order, the offset skipped there; only the page's rows
    // are then read whole.
    const { rows } = await sql<ProjectRow & { total: number }>`
      select counted.total, page.id, page.name, page.thumbnail, page.create_ms as "createMs", page.modif_ms as "modifMs"
      from (select count(*)::int as total from projects where owner_id = ${ownerId} ${search}) as counted
      left join lateral (
        select p.id, p.name, p.thumbnail, p.create_ms, p.modif_ms, ids.ord
        from (
          select id, row_number() over () as ord from (
            select id from projects where owner_id = ${ownerId} ${search}
            order by owner_id ${direction}, ${key} ${direction}, id ${direction}
            offset ${options.offset} limit ${options.limit}
          ) as ordered
        ) as ids
        join projects p on p.id = ids.id
      ) as page on true
      order by page.ord`.execute(this.db);
    const total = rows[0]?.total ?? 0;
    return { total, rows: rows.filter((row) => row.id !== null).map(({ total: _total, ...row }) => row) };
  }

  /** Whether the owner has the project. */
  async isOwn(id: string, ownerId: string): Promise<boolean> {
    const row = await this.db.selectFrom('projects').select('id').where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  /** The owner's project saved last (ties: the smallest id); undefined when the owner has none. */
  async lastSavedId(ownerId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('projects')
      .select('id')
      .where('owner_id', '=', ownerId)
      .orderBy('updated_at', 'desc')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  /** The data of several of an owner's projects (those still there). */
  async dataOf(ownerId: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { rows } = await sql<{ id: string } & DataPieces>`
      select p.id, ${joinedDataColumns}
      from projects p, ${joinedData}
      where p.owner_id = ${ownerId} and p.id = any(${ids}::text[])
    `.execute(this.db);
    return new Map(rows.map((r) => [r.id, wholeData(r.id, r)]));
  }

  /** Deletes a project; its actions, history head and index rows go with it (foreign keys). */
  async delete(id: string, ownerId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // An action post locks the history head, then the project (its foreign key check): take
      // them in the same order, or a delete racing a post deadlocks.
      await trx.selectFrom('action_histories').select('project_id').where('project_id', '=', id).where('owner_id', '=', ownerId).forUpdate().execute();
      const result = await trx.deleteFrom('projects').where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  /** The media ids a project mentions; undefined when the owner has no such project. */
  async mediaIdsOf(id: string, ownerId: string): Promise<string[] | undefined> {
    const rows = await this.db
      .selectFrom('projects')
      .leftJoin('project_media', 'project_media.project_id', 'projects.id')
      .select('project_media.media_id')
      .where('projects.id', '=', id)
      .where('projects.owner_id', '=', ownerId)
      .orderBy('project_media.media_id')
      .execute();
    if (rows.length === 0) return undefined;
    return rows.flatMap((r) => (r.media_id === null ? [] : [r.media_id]));
  }

  /** (media id, project id) pairs of the owner's projects that mention any of the ids. */
  async usage(ownerId: string, mediaIds: string[]): Promise<Array<{ mediaId: string; projectId: string }>> {
    if (mediaIds.length === 0) return [];
    return this.db
      .selectFrom('project_media')
      .select(['media_id as mediaId', 'project_id as projectId'])
      .where('owner_id', '=', ownerId)
      .where('media_id', '=', sql<string>`any(${mediaIds}::text[])`)
      .orderBy('media_id')
      .orderBy('project_id')
      .execute();
  }
}
