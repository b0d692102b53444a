import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('developer_id', 'text', (c) => c.references('developers.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('stage', 'text')
    .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('gpu', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('result', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('log', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('token_hash', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('heartbeat_at', 'timestamptz')
    .addColumn('not_before', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addCheckConstraint('tasks_state_check', sql`state in ('pending', 'dispatched', 'running', 'completing', 'completed', 'error', 'aborted')`)
    .execute();
  // Claims scan pending tasks oldest first; the watchdog scans the working ones by heartbeat.
  await db.schema.createIndex('tasks_pending_idx').on('tasks').columns(['created_at']).where(sql.ref('state'), '=', 'pending').execute();
  await db.schema
    .createIndex('tasks_working_idx')
    .on('tasks')
    .columns(['heartbeat_at'])
    .where(sql.ref('state'), 'in', ['dispatched', 'running', 'completing'])
    .execute();
  await db.schema.createIndex('tasks_owner_idx').on('tasks').columns(['owner_id', 'kind']).execute();
}
