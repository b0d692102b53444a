import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/** Queries of the secrets every replica of an install shares. */
export class InstanceSecretsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The named secret: `candidate` when none was stored yet (it is stored then), else the stored one. */
  async getOrStore(name: string, candidate: string): Promise<string> {
    await this.db
      .insertInto('instance_secrets')
      .values({ name, value: candidate })
      .onConflict((c) => c.column('name').doNothing())
      .execute();
    const row = await this.db.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
    return row.value;
  }
}
