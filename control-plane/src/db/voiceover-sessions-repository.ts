import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.js';

/** Rows of live voiceover sessions: which process holds which session, for counts and routing. */
export class VoiceoverSessionsRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly replicaId: string,
  ) {}

  async insert(id: string, ownerId: string): Promise<void> {
    await this.db.insertInto('voiceover_sessions').values({ id, owner_id: ownerId, replica_id: this.replicaId }).execute();
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('voiceover_sessions').where('id', '=', id).execute();
  }

  /** The holder of an owner's session when another process holds it and is alive. */
  async heldElsewhere(ownerId: string, id: string, liveWindowMs: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('voiceover_sessions')
      .select('id')
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .where('replica_id', '!=', this.replicaId)
      .where('heartbeat_at', '>', sql<Date>`now() - (${liveWindowMs} * interval '1 millisecond')`)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Keeps this process's rows alive; drops rows of processes silent for an hour. */
  async heartbeat(ids: string[]): Promise<void> {
    if (ids.length > 0) {
      await this.db
        .updateTable('voiceover_sessions')
        .set({ heartbeat_at: sql`now()` })
        .where('id', 'in', ids)
        .execute();
    }
    await this.db
      .deleteFrom('voiceover_sessions')
      .where('heartbeat_at', '<', sql<Date>`now() - interval '1 hour'`)
      .execute();
  }

  /** Live sessions of every process (a row whose holder stopped refreshing it does not count). */
  async countLive(liveWindowMs: number): Promise<number> {
    const row = await this.db
      .selectFrom('voiceover_sessions')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('heartbeat_at', '>', sql<Date>`now() - (${liveWindowMs} * interval '1 millisecond')`)
      .executeTakeFirstOrThrow();
    return row.count;
  }
}
