import { sql, type Kysely } from 'kysely';

/**
 * Tasks made of tasks: a segmented render's parts are render tasks whose `parent_id` names the
 * render. Only expands the schema (a nullable column and an index): the previous release ignores
 * both and, having no parts to make, never sets them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tasks')
    .addColumn('parent_id', 'text', (c) => c.references('tasks.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('tasks_parent_idx').on('tasks').columns(['parent_id']).where(sql.ref('parent_id'), 'is not', null).execute();
}
