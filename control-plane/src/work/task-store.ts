import { sql, type Kysely, type Selectable } from 'kysely';
import type { StoredSpec, TaskKind, TaskResult } from '@cutroom/render-node';
import type { DB, TaskError, TaskState, TasksTable } from '../db/schema.js';
import { hashSecret, newId, newSecret } from '../ids.js';

/**
 * The task state machine, persisted. Every transition is one guarded statement
 * (`UPDATE ... WHERE state = ...`): when two replicas, a watchdog and a render node race, one
 * wins and the others change nothing.
 *
 *   pending → dispatched → running → completing → completed
 *                  ↘           ↘                → error | aborted
 *          (attempt lost: back to pending while attempts remain, else error)
 */

/** A `tasks` row as the database answers it: its JSON columns not yet read as its kind's. */
export type TaskRecord = Selectable<TasksTable>;

/** A task of kind `K`, its spec and result typed by the kind (the render node's task-kinds.ts). */
export interface Task<K extends TaskKind = TaskKind> extends Omit<TaskRecord, 'kind' | 'spec' | 'result'> {
  kind: K;
  spec: StoredSpec<K>;
  result: TaskResult<K> | null;
}

/** A task of any kind, told apart by its `kind`: once that is checked, its spec is that kind's. */
export type TaskRow = { [K in TaskKind]: Task<K> }[TaskKind];

/**
 * A row read as a task of its kind: the one place the JSON of `spec` and `result` is taken as
 * typed. Nothing else writes them: `create` stores a spec typed by the row's kind, and
 * `beginCompletion` the result of a render node that ran that kind's handler, which returns
 * the kind's result type (the same map types both sides).
 */
function taskOf(row: TaskRecord): TaskRow {
  return row as TaskRow;
}

const taskOrNone = (row: TaskRecord | undefined): TaskRow | undefined => (row ? taskOf(row) : undefined);
const tasksOf = (rows: TaskRecord[]): TaskRow[] => rows.map(taskOf);

/** The node's result of a task in `completing` (or after): `beginCompletion` recorded it with that move. */
export function resultOf<K extends TaskKind>(task: Task<K>): TaskResult<K> {
  if (task.result === null) throw new Error(`task ${task.id} has no result`);
  return task.result;
}

export const ACTIVE_STATES: TaskState[] = ['pending', 'dispatched', 'running', 'completing'];
/** States a task never leaves. */
export const FINAL_STATES: TaskState[] = ['completed', 'error', 'aborted'];
const WORKING_STATES: TaskState[] = ['dispatched', 'running'];

/** A task to create, of kind `K`: its spec must be that kind's. */
export interface TaskSubmission<K extends TaskKind = TaskKind> {
  id?: string;
  kind: K;
  ownerId?: string | null;
  developerId?: string | null;
  spec: StoredSpec<K>;
  gpu?: boolean;
  /** The task this one is a part of: the parent is claimed only once all its parts completed. */
  parentId?: string | null;
}

export interface NewTask<K extends TaskKind = TaskKind> extends TaskSubmission<K> {
  maxAttempts: number;
}

export interface Claimed {
  task: TaskRow;
  token: string;
}

const json = (value: unknown) => JSON.stringify(value);
const LOG_LINES_KEPT = 500;

export class TaskStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** Inserts a pending task; pass a transaction to create it atomically with what it works on. */
  async create<K extends TaskKind>(task: NewTask<K>, db: Kysely<DB> = this.db): Promise<TaskRow> {
    return db
      .insertInto('tasks')
      .values({
        id: task.id ?? newId(),
        kind: task.kind,
        owner_id: task.ownerId ?? null,
        developer_id: task.developerId ?? null,
        spec: json(task.spec),
        gpu: task.gpu ?? false,
        max_attempts: task.maxAttempts,
        parent_id: task.parentId ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .then(taskOf);
  }

  async get(id: string): Promise<TaskRow | undefined> {
    return this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst().then(taskOrNone);
  }

  /**
   * Claims up to `limit` pending tasks for this replica. `SKIP LOCKED` lets replicas claim
   * side by side without waiting on each other or taking the same row.
   */
  async claim(replicaId: string, limit: number, kinds?: string[]): Promise<Claimed[]> {
    if (limit <= 0) return [];
    return this.db.transaction().execute(async (trx) => {
      let pending = trx
        .selectFrom('tasks')
        .select('id')
        .where('state', '=', 'pending')
        .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', sql<Date>`now()`)]))
        // A task made of parts waits for all of them.
        .where(sql<boolean>`not exists (select 1 from tasks as part where part.parent_id = tasks.id and part.state <> 'completed')`)
        .orderBy('created_at')
        .limit(limit)
        .forUpdate()
        .skipLocked();
      if (kinds) pending = pending.where('kind', 'in', kinds);
      const ids = (await pending.execute()).map((r) => r.id);
      const claimed: Claimed[] = [];
      for (const id of ids) {
        const token = newSecret();
        const task = await trx
          .updateTable('tasks')
          .set({
            state: 'dispatched',
            attempts: sql`attempts + 1`,
            token_hash: hashSecret(token),
            claimed_by: replicaId,
            heartbeat_at: sql`now()`,
            updated_at: sql`now()`,
            // A task made of parts keeps the progress its parts made.
            progress: sql`case when exists (select 1 from tasks as part where part.parent_id = tasks.id) then progress else 0 end`,
            stage: null,
          })
          .where('id', '=', id)
          .where('state', '=', 'pending')
          .returningAll()
          .executeTakeFirst();
        if (task) claimed.push({ task: taskOf(task), token });
      }
      return claimed;
    });
  }

  /** The task a render node's token opens, while it is this attempt's to work on. */
  async forToken(id: string, token: string): Promise<TaskRow | undefined> {
    return this.db.selectFrom('tasks').selectAll().where('id', '=', id).where('token_hash', '=', hashSecret(token)).executeTakeFirst().then(taskOrNone);
  }

  /** dispatched → running, when the node first fetches its work order. */
  async markRunning(id: string, tokenHash: string): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({ state: 'running', heartbeat_at: sql`now()`, started_at: sql`coalesce(started_at, now())`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('token_hash', '=', tokenHash)
      .where('state', 'in', WORKING_STATES)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Records progress, which is also the heartbeat. False: the attempt is no longer current. */
  async progress(id: string, tokenHash: string, progress: number, stage: string | undefined): Promise<TaskRow | undefined> {
    return this.db
      .updateTable('tasks')
      .set({
        // A task made of parts started its own attempt where its parts left it: never back from there.
        progress: sql`case when exists (select 1 from tasks as part where part.parent_id = tasks.id)
          then greatest(progress, ${Math.min(1, Math.max(0, progress))}::real) else ${Math.min(1, Math.max(0, progress))}::real end`,
        ...(stage !== undefined ? { stage } : {}),
        heartbeat_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('token_hash', '=', tokenHash)
      .where('state', '=', 'running')
      .returningAll()
      .executeTakeFirst()
      .then(taskOrNone);
  }

  async appendLog(id: string, tokenHash: string, lines: string[]): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({
        // Keep the newest lines only: a chatty node cannot grow the row without bound.
        log: sql`(select coalesce(jsonb_agg(line order by n), '[]'::jsonb) from (
          select line, n from jsonb_array_elements(log || ${json(lines)}::jsonb) with ordinality as t(line, n)
          order by n desc limit ${LOG_LINES_KEPT}) kept)`,
        heartbeat_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('token_hash', '=', tokenHash)
      .where('state', 'in', WORKING_STATES)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Appends a line written by the control plane itself (strategy decisions, retries). */
  async note(id: string, line: string): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({ log: sql`log || ${json([line])}::jsonb` })
      .where('id', '=', id)
      .execute();
  }

  /** running → completing: the node's result is in; the control plane finishes the rest. */
  async beginCompletion(id: string, tokenHash: string, result: unknown): Promise<TaskRow | undefined> {
    return this.db
      .updateTable('tasks')
      .set({ state: 'completing', result: json(result), progress: 1, heartbeat_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('token_hash', '=', tokenHash)
      .where('state', '=', 'running')
      .returningAll()
      .executeTakeFirst()
      .then(taskOrNone);
  }

  /** completing → completed. */
  async finishCompletion(id: string, db: Kysely<DB> = this.db): Promise<TaskRow | undefined> {
    return db
      .updateTable('tasks')
      .set({ state: 'completed', token_hash: null, finished_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('state', '=', 'completing')
      .returningAll()
      .executeTakeFirst()
      .then(taskOrNone);
  }

  /**
   * An attempt ended without success. Returns the task in its new state: pending again when it
   * may be retried and attempts remain, error otherwise; undefined when the attempt was not
   * current (already finished, aborted or requeued by someone else).
   */
  async failAttempt(
    id: string,
    guard: { tokenHash: string } | { attempt: number },
    error: TaskError,
    retryable: boolean,
    fromStates: TaskState[] = WORKING_STATES,
    db: Kysely<DB> = this.db,
  ): Promise<TaskRow | undefined> {
    let query = db
      .updateTable('tasks')
      .set({
        state: retryable ? sql`case when attempts < max_attempts then 'pending' else 'error' end` : 'error',
        error: json(error),
        token_hash: null,
        claimed_by: null,
        stage: null,
        // A short pause before the retry, growing with each attempt.
        not_before: sql`now() + (attempts * interval '1 second')`,
        finished_at: sql`case when ${retryable} and attempts < max_attempts then null else now() end`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('state', 'in', fromStates);
    query = 'tokenHash' in guard ? query.where('token_hash', '=', guard.tokenHash) : query.where('attempts', '=', guard.attempt);
    return query.returningAll().executeTakeFirst().then(taskOrNone);
  }

  /** Fails a task whose completion could not be finished. */
  async failCompletion(id: string, error: TaskError, db: Kysely<DB> = this.db): Promise<TaskRow | undefined> {
    return db
      .updateTable('tasks')
      .set({ state: 'error', error: json(error), token_hash: null, finished_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('state', '=', 'completing')
      .returningAll()
      .executeTakeFirst()
      .then(taskOrNone);
  }

  /** Any active state → aborted. Undefined when the task had already finished. */
  async abort(id: string, ownerId?: string, db: Kysely<DB> = this.db): Promise<TaskRow | undefined> {
    let query = db
      .updateTable('tasks')
      .set({ state: 'aborted', token_hash: null, finished_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('state', 'in', ['pending', 'dispatched', 'running']);
    if (ownerId !== undefined) query = query.where('owner_id', '=', ownerId);
    return query.returningAll().executeTakeFirst().then(taskOrNone);
  }

  /**
   * error → pending, by an operator: one more attempt than it has had, error cleared, due now.
   * Undefined when the task is not in `error`.
   */
  async retry(id: string): Promise<TaskRow | undefined> {
    return this.db
      .updateTable('tasks')
      .set(pendingAgain('retried by an operator after attempt '))
      .where('id', '=', id)
      .where('state', '=', 'error')
      .returningAll()
      .executeTakeFirst()
      .then(taskOrNone);
  }

  /** Working tasks whose last heartbeat is older than their kind allows. */
  async stale(timeoutsS: Record<string, number>, defaultTimeoutS: number): Promise<TaskRow[]> {
    const perKind = Object.entries(timeoutsS).map(([kind, seconds]) => sql`when ${kind} then ${seconds}::int`);
    const limitS = perKind.length > 0 ? sql`case kind ${sql.join(perKind, sql` `)} else ${defaultTimeoutS}::int end` : sql`${defaultTimeoutS}::int`;
    return this.db
      .selectFrom('tasks')
      .selectAll()
      .where('state', 'in', WORKING_STATES)
      .where(sql<boolean>`heartbeat_at < now() - (${limitS} * interval '1 second')`)
      .execute()
      .then(tasksOf);
  }

  /** Tasks left in `completing` (the replica finishing them died) for longer than `olderThanS`. */
  async stuckCompleting(olderThanS: number): Promise<TaskRow[]> {
    return this.db
      .selectFrom('tasks')
      .selectAll()
      .where('state', '=', 'completing')
      .where('updated_at', '<', sql<Date>`now() - (${olderThanS} * interval '1 second')`)
      .execute()
      .then(tasksOf);
  }

  /** Refreshes `updated_at` of a completing task so one replica at a time retries its completion. */
  async touchCompleting(id: string, olderThanS: number): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({ updated_at: sql`now()` })
      .where('id', '=', id)
      .where('state', '=', 'completing')
      .where('updated_at', '<', sql<Date>`now() - (${olderThanS} * interval '1 second')`)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  // ---- tasks made of parts ----

  /** The parts of a task that have not ended (to abort with it). */
  async activeParts(parentId: string): Promise<TaskRow[]> {
    return this.db.selectFrom('tasks').selectAll().where('parent_id', '=', parentId).where('state', 'in', ACTIVE_STATES).orderBy('id').execute().then(tasksOf);
  }

  /**
   * A waiting parent's progress from its parts': `share` of the way when they are all done (the
   * rest is its own attempt's). Never goes back (a part's retry starts it at 0 again).
   */
  async progressFromParts(parentId: string, share: number): Promise<TaskRow | undefined> {
    return this.db
      .updateTable('tasks')
      .set({
        progress: sql`greatest(progress, ${share}::real * (
          select coalesce(avg(case when part.state = 'completed' then 1 else part.progress end), 0)
          from tasks as part where part.parent_id = tasks.id))`,
        updated_at: sql`now()`,
      })
      .where('id', '=', parentId)
      .where('state', '=', 'pending')
      .returningAll()
      .executeTakeFirst()
      .then(taskOrNone);
  }

  /** A part failed for good: its waiting parent fails with its error. */
  async failWaiting(parentId: string, error: TaskError, db: Kysely<DB> = this.db): Promise<TaskRow | undefined> {
    return db
      .updateTable('tasks')
      .set({ state: 'error', error: json(error), token_hash: null, claimed_by: null, stage: null, finished_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', parentId)
      .where('state', '=', 'pending')
      .returningAll()
      .executeTakeFirst()
      .then(taskOrNone);
  }

  /**
   * An operator's retry of a parent: every part renders again (those that had completed too: a
   * failed render removed what they had stored).
   */
  async retryParts(parentId: string): Promise<TaskRow[]> {
    return this.db
      .updateTable('tasks')
      .set({ ...pendingAgain('retried with its render after attempt '), token_hash: null })
      .where('parent_id', '=', parentId)
      .where('state', 'in', ['error', 'aborted', 'completed'])
      .returningAll()
      .execute()
      .then(tasksOf);
  }

  /** The overlay images named by render tasks that are not over yet (their specs' `overlayIds`). */
  async overlayIdsOfActiveRenders(): Promise<Set<string>> {
    const { rows } = await sql<{ id: string }>`
        select distinct jsonb_array_elements_text(spec->'overlayIds') as id
        from tasks where kind = 'render' and state in (${sql.join(ACTIVE_STATES)})
      `.execute(this.db);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Active tasks by kind and state, for `/api/stat`: the tasks submitted, not the parts of a
   * segmented render, which are its own work.
   */
  async counts(): Promise<Array<{ kind: string; state: TaskState; count: number }>> {
    return this.db
      .selectFrom('tasks')
      .select(['kind', 'state', sql<number>`count(*)::int`.as('count')])
      .where('state', 'in', ACTIVE_STATES)
      .where('parent_id', 'is', null)
      .groupBy(['kind', 'state'])
      .execute();
  }
}

/** The columns of a task sent back to `pending` for one more attempt, its log saying why (the attempt count follows `why`). */
function pendingAgain(why: string) {
  return {
    state: 'pending' as const,
    max_attempts: sql<number>`greatest(max_attempts, attempts + 1)`,
    error: null,
    progress: 0,
    stage: null,
    not_before: null,
    finished_at: null,
    log: sql<string>`log || jsonb_build_array(${why}::text || attempts)`,
    updated_at: sql<string>`now()`,
  };
}
