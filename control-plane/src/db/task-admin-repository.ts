import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, TaskState, TasksTable } from './schema.js';

/**
 * Operators' queries over the task table: the queue by kind and state, task lists, recent
 * failures. Reads only; the state machine's transitions stay in work/task-store.ts.
 */

/** A task row without its bulky columns (spec, result, token). */
export type TaskSummaryRow = Pick<
  Selectable<TasksTable>,
  | 'id'
  | 'kind'
  | 'state'
  | 'stage'
  | 'progress'
  | 'attempts'
  | 'max_attempts'
  | 'owner_id'
  | 'developer_id'
  | 'gpu'
  | 'claimed_by'
  | 'error'
  | 'created_at'
  | 'started_at'
  | 'finished_at'
  | 'heartbeat_at'
  | 'not_before'
>;

const SUMMARY_COLUMNS = [
  'id',
  'kind',
  'state',
  'stage',
  'progress',
  'attempts',
  'max_attempts',
  'owner_id',
  'developer_id',
  'gpu',
  'claimed_by',
  'error',
  'created_at',
  'started_at',
  'finished_at',
  'heartbeat_at',
  'not_before',
] as const;

export interface TaskListFilter {
  states?: TaskState[] | undefined;
  kinds?: string[] | undefined;
  offset: number;
  limit: number;
}

export class TaskAdminRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Tasks by kind and state: every unfinished one, and those that finished within `finishedWithinS`. */
  async countsByKindAndState(finishedWithinS: number): Promise<Array<{ kind: string; state: TaskState; count: number }>> {
    return this.db
      .selectFrom('tasks')
      .select(['kind', 'state', sql<number>`count(*)::int`.as('count')])
      .where((eb) => eb.or([eb('finished_at', 'is', null), eb('finished_at', '>', sql<Date>`now() - (${finishedWithinS}::int * interval '1 second')`)]))
      .groupBy(['kind', 'state'])
      .orderBy('kind')
      .orderBy('state')
      .execute();
  }

  /** A page of tasks, newest first, with the total that matches. */
  async list(filter: TaskListFilter): Promise<{ total: number; rows: TaskSummaryRow[] }> {
    let query = this.db.selectFrom('tasks');
    if (filter.states && filter.states.length > 0) query = query.where('state', 'in', filter.states);
    if (filter.kinds && filter.kinds.length > 0) query = query.where('kind', 'in', filter.kinds);
    const [rows, total] = await Promise.all([
      query
        .select([...SUMMARY_COLUMNS])
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(filter.offset)
        .limit(filter.limit)
        .execute(),
      query.select(sql<number>`count(*)::int`.as('count')).executeTakeFirstOrThrow(),
    ]);
    return { total: total.count, rows };
  }

  /** Tasks that failed for good, most recent first, with the last lines of their log. */
  async recentFailures(limit: number, logLines: number): Promise<Array<TaskSummaryRow & { log_tail: string[] }>> {
    return this.db
      .selectFrom('tasks')
      .select([
        ...SUMMARY_COLUMNS,
        sql<string[]>`(select coalesce(jsonb_agg(line order by n), '[]'::jsonb) from (
          select line, n from jsonb_array_elements(log) with ordinality as t(line, n)
          order by n desc limit ${logLines}) kept)`.as('log_tail'),
      ])
      .where('state', '=', 'error')
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** One task with its whole log. */
  async get(id: string): Promise<(TaskSummaryRow & { log: string[] }) | undefined> {
    return this.db
      .selectFrom('tasks')
      .select([...SUMMARY_COLUMNS, 'log'])
      .where('id', '=', id)
      .executeTakeFirst();
  }
}
