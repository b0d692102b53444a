import { sql, type Kysely } from 'kysely';

/** Delivery state of domain events as developer callbacks: the outbox's other half. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('domain_events')
    .addColumn('delivery', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_until', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await db.schema
    .alterTable('domain_events')
    .addCheckConstraint('domain_events_delivery_check', sql`delivery in ('pending', 'delivered', 'failed', 'skipped')`)
    .execute();
  // The delivery loop looks only at what is still to deliver, oldest first per user.
  await db.schema.createIndex('domain_events_pending_idx').on('domain_events').columns(['user_id', 'seq']).where(sql.ref('delivery'), '=', 'pending').execute();
}
