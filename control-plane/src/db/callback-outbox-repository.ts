import { sql, type Kysely } from 'kysely';
import type { DB, DomainEventType } from './schema.js';

/**
 * Operators' view of the callback outbox (domain events and their delivery state), and the one
 * change they may make: send a failed callback again.
 */

export type Delivery = 'pending' | 'delivered' | 'failed' | 'skipped';

export interface OutboxEntryRow {
  id: string;
  user_id: string;
  type: DomainEventType;
  delivery: Delivery;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  callback_url: string | null;
}

export class CallbackOutboxRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async countsByDelivery(): Promise<Record<Delivery, number>> {
    const rows = await this.db
      .selectFrom('domain_events')
      .select(['delivery', sql<number>`count(*)::int`.as('count')])
      .groupBy('delivery')
      .execute();
    const counts: Record<Delivery, number> = { pending: 0, delivered: 0, failed: 0, skipped: 0 };
    for (const row of rows) counts[row.delivery] = row.count;
    return counts;
  }

  /** An outbox entry as the operations view shows it: the event and the callBackUrl it goes to. */
  private entries() {
    return this.db
      .selectFrom('domain_events as e')
      .innerJoin('users as u', 'u.id', 'e.user_id')
      .leftJoin('developers as d', 'd.id', 'u.developer_id')
      .select([
        'e.id',
        'e.user_id',
        'e.type',
        'e.delivery',
        'e.attempts',
        'e.next_attempt_at',
        'e.last_error',
        'e.created_at',
        'e.delivered_at',
        'd.callback_url',
      ]);
  }

  /** Events in the given delivery states, newest first, with the callBackUrl they go to. */
  async list(deliveries: Delivery[], limit: number): Promise<OutboxEntryRow[]> {
    return this.entries().where('e.delivery', 'in', deliveries).orderBy('e.seq', 'desc').limit(limit).execute();
  }

  /**
   * A failed (or skipped) event goes back to pending, due now, with a fresh attempt budget; its
   * last error stays until the next attempt. Undefined when no such event is in those states.
   */
  async redeliver(id: string): Promise<OutboxEntryRow | undefined> {
    const updated = await this.db
      .updateTable('domain_events')
      .set({ delivery: 'pending', attempts: 0, next_attempt_at: sql<Date>`now()`, lease_until: null })
      .where('id', '=', id)
      .where('delivery', 'in', ['failed', 'skipped'])
      .returning('id')
      .executeTakeFirst();
    if (!updated) return undefined;
    return this.get(id);
  }

  async get(id: string): Promise<OutboxEntryRow | undefined> {
    return this.entries().where('e.id', '=', id).executeTakeFirst();
  }
}
