import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.js';

/**
 * Queries of the action history. Every write to a project's history goes through its head row
 * (`action_histories`): a new action takes the next sequence number there, so concurrent posts
 * from two tabs get one order, and each write bumps `version`. A post is one statement that
 * checks `version` against what it read; when a concurrent write slipped in between it changes
 * nothing and says so, and the caller repeats it holding the head's row lock.
 */

export interface NewActionRow {
  projectId: string;
  ownerId: string;
  /** The client's id: used when no action of the project has it. */
  clientId: string | undefined;
  generatedId: string;
  name: string;
  dataJson: string;
  createMs: number;
  /** Actions kept after the insert, the new one included. */
  depth: number;
}

export type PostOutcome = { outcome: 'posted'; id: string } | { outcome: 'missing' } | { outcome: 'raced' };

export interface ActionRow {
  id: string;
  name: string;
  dataJson: string;
  canceled: boolean;
  createMs: number;
  modifMs: number;
}

export class ActionsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Appends an action: removes the project's canceled actions (the redo branch), drops the
   * oldest active ones beyond the depth, and inserts the new one with the next sequence number.
   */
  async post(row: NewActionRow, db: Kysely<DB> = this.db): Promise<PostOutcome> {
    const { rows } = await sql<{ found: number; id: string | null }>`
      with head as (
        select version from action_histories where project_id = ${row.projectId} and owner_id = ${row.ownerId}
      ), claimed as (
        update action_histories set version = version + 1, last_seq = last_seq + 1
        where project_id = ${row.projectId} and version = (select version from head)
        returning last_seq as seq
      ), redo_branch as (
        delete from actions
        where project_id = ${row.projectId} and canceled and exists (select 1 from claimed)
      ), overflow as (
        delete from actions
        where project_id = ${row.projectId} and not canceled and exists (select 1 from claimed)
          and seq <= (
            select seq from actions where project_id = ${row.projectId} and not canceled
            order by seq desc offset ${row.depth - 1} limit 1
          )
      ), added as (
        insert into actions (project_id, owner_id, id, seq, name, data_json, canceled, create_ms, modif_ms)
        select ${row.projectId}, ${row.ownerId},
          case when ${row.clientId ?? null}::text is not null and not exists (
            select 1 from actions where project_id = ${row.projectId} and id = ${row.clientId ?? null}::text
          ) then ${row.clientId ?? null}::text else ${row.generatedId} end,
          claimed.seq, ${row.name}, ${row.dataJson}, false, ${row.createMs}, ${row.createMs}
        from claimed
        returning id
      )
      select (select count(*) from head)::int as found, (select id from added) as id
    `.execute(db);
    const result = rows[0]!;
    if (result.id !== null) return { outcome: 'posted', id: result.id };
    return result.found === 0 ? { outcome: 'missing' } : { outcome: 'raced' };
  }

  /** Runs `work` in a transaction holding the history head's row lock; false when the owner has no such project. */
  async withHeadLock(projectId: string, ownerId: string, work: (trx: Kysely<DB>) => Promise<void>): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const head = await trx
        .selectFrom('action_histories')
        .select('project_id')
        .where('project_id', '=', projectId)
        .where('owner_id', '=', ownerId)
        .forUpdate()
        .executeTakeFirst();
      if (!head) return false;
      await work(trx);
      return true;
    });
  }

  /**
   * Sets `canceled` on the owner's action with this id (in the named project, when given), and
   * bumps the history's version so that a concurrent post sees the change. `matches` counts the
   * owner's actions with that id: more than one (in several projects) changes nothing.
   */
  async setCanceled(
    ownerId: string,
    id: string,
    projectId: string | undefined,
    canceled: boolean,
    modifMs: number,
  ): Promise<{ matches: number; changed: number }> {
    const inProject = projectId === undefined ? sql`` : sql`and project_id = ${projectId}`;
    const { rows } = await sql<{ matches: number; changed: number }>`
      with hit as (
        select project_id from actions where owner_id = ${ownerId} and id = ${id} ${inProject}
      ), bumped as (
        update action_histories set version = version + 1
        where project_id in (select project_id from hit) and (select count(*) from hit) = 1
        returning project_id
      ), changed as (
        update actions a set canceled = ${canceled}, modif_ms = ${modifMs}
        from bumped where a.project_id = bumped.project_id and a.id = ${id}
        returning a.id
      )
      select (select count(*) from hit)::int as matches, (select count(*) from changed)::int as changed
    `.execute(this.db);
    return rows[0]!;
  }

  /** The project's actions in POST order; undefined when the owner has no such project. */
  async list(projectId: string, ownerId: string): Promise<ActionRow[] | undefined> {
    const rows = await this.db
      .selectFrom('action_histories as h')
      .leftJoin('actions as a', 'a.project_id', 'h.project_id')
      .select(['a.id', 'a.name', 'a.data_json as dataJson', 'a.canceled', 'a.create_ms as createMs', 'a.modif_ms as modifMs'])
      .where('h.project_id', '=', projectId)
      .where('h.owner_id', '=', ownerId)
      .orderBy('a.seq')
      .execute();
    if (rows.length === 0) return undefined;
    return rows.flatMap((r) => (r.id === null ? [] : [r as ActionRow]));
  }
}
