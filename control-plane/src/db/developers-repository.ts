import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { DB, DevelopersTable, OutputBucket } from './schema.js';

export type DeveloperRow = Selectable<DevelopersTable>;
export type NewDeveloperRow = Insertable<DevelopersTable>;
export type DeveloperChanges = Updateable<DevelopersTable>;

/** Queries of developer (integrator) accounts. */
export class DevelopersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: NewDeveloperRow): Promise<void> {
    await this.db.insertInto('developers').values(row).execute();
  }

  /** Every account, oldest first. */
  list(): Promise<DeveloperRow[]> {
    return this.db.selectFrom('developers').selectAll().orderBy('created_at').execute();
  }

  find(id: string): Promise<DeveloperRow | undefined> {
    return this.db.selectFrom('developers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The account's output bucket settings: null when it has none, undefined when there is no such account. */
  async outputBucketOf(id: string, db: Kysely<DB> = this.db): Promise<OutputBucket | null | undefined> {
    const row = await db.selectFrom('developers').select('output_s3_bucket').where('id', '=', id).executeTakeFirst();
    return row?.output_s3_bucket;
  }

  findByKeyHash(apiKeyHash: string): Promise<DeveloperRow | undefined> {
    return this.db.selectFrom('developers').selectAll().where('api_key_hash', '=', apiKeyHash).executeTakeFirst();
  }

  /** False when there is no such account. */
  async update(id: string, changes: DeveloperChanges): Promise<boolean> {
    const result = await this.db.updateTable('developers').set(changes).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** False when there is no such account. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('developers').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
