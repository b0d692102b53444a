import { sql, type Kysely } from 'kysely';
import type { DB, DomainEventType } from './schema.js';

/**
 * Queries of the callback outbox (the domain_events table): raising an event in the transaction
 * of the change it describes, the delivery's claims and outcomes, and the operators' view with
 * the one change they may make: send a failed callback again. (A project's create and update
 * events are written by the projects repository, in the statement that saves the project.)
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

/** An event due for delivery, with where it goes and what the callback says of its user. */
export interface DueEventRow {
  seq: number;
  id: string;
  user_id: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
  callback_url: string | null;
  callback_secret: string | null;
  user_data: string | null;
  api_auth_token: string | null;
}

/** What one delivery attempt changes of its event (its lease always ends). */
export type DeliveryOutcome = Partial<{
  delivery: 'delivered' | 'failed' | 'skipped';
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  delivered_at: Date;
}>;

export class CallbackOutboxRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Raises an event; pass the transaction of the change it describes. */
  async raise(event: { id: string; userId: string; type: DomainEventType; payload: Record<string, unknown> }, db: Kysely<DB> = this.db): Promise<void> {
    await db
      .insertInto('domain_events')
      .values({ id: event.id, user_id: event.userId, type: event.type, payload: JSON.stringify(event.payload) })
      .execute();
  }

  /**
   * Leases what is due for `leaseMs`: the oldest pending event of each user, at most `limit`.
   * Events another replica holds are skipped, not waited for.
   */
  async claimDue(limit: number, leaseMs: number): Promise<DueEventRow[]> {
    const { rows } = await sql<DueEventRow>`
      with due as (
        select e.seq from domain_events e
        where e.delivery = 'pending'
          and e.next_attempt_at <= now()
          and (e.lease_until is null or e.lease_until < now())
          and not exists (
            select 1 from domain_events earlier
            where earlier.user_id = e.user_id and earlier.delivery = 'pending' and earlier.seq < e.seq)
        order by e.seq
        limit ${limit}
        for update skip locked)
      update domain_events ev
      set lease_until = now() + (${leaseMs}::int * interval '1 millisecond')
      from due, users u left join developers d on d.id = u.developer_id
      where ev.seq = due.seq and u.id = ev.user_id
      returning ev.seq, ev.id, ev.user_id, ev.type, ev.payload, ev.attempts, ev.created_at,
        d.callback_url, d.callback_secret, u.data as user_data, u.api_auth_token`.execute(this.db);
    return rows;
  }

  /** Records a delivery attempt's outcome and ends the event's lease. */
  async settle(seq: number, outcome: DeliveryOutcome): Promise<void> {
    await this.db
      .updateTable('domain_events')
      .set({ ...outcome, lease_until: null })
      .where('seq', '=', seq)
      .execute();
  }

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
