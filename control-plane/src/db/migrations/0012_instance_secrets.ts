import { sql, type Kysely } from 'kysely';

/**
 * Secrets the replicas of one installation share and generate themselves when not configured
 * (the URL signing key), so a deployment needs none from its chart. Only adds: older releases
 * never read it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('instance_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
