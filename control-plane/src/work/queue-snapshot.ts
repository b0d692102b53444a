import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { QueueSnapshot } from '../metrics.js';

/** The installation-wide state the queue gauges show: four small aggregate queries. */
export async function readQueueSnapshot(db: Kysely<DB>): Promise<QueueSnapshot> {
  const [counts, pending, silence, callbacks] = await Promise.all([
    db
      .selectFrom('tasks')
      .select(['kind', 'state', sql<number>`count(*)::int`.as('count')])
      .where('state', 'in', ['pending', 'dispatched', 'running', 'completing'])
      .groupBy(['kind', 'state'])
      .execute(),
    db
      .selectFrom('tasks')
      .select(['kind', sql<number>`extract(epoch from now() - min(created_at))::float8`.as('seconds')])
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', sql<Date>`now()`)]))
      .groupBy('kind')
      .execute(),
    db
      .selectFrom('tasks')
      .select(['kind', 'state', sql<number>`extract(epoch from now() - min(coalesce(heartbeat_at, updated_at)))::float8`.as('seconds')])
      .where('state', 'in', ['dispatched', 'running', 'completing'])
      .groupBy(['kind', 'state'])
      .execute(),
    db
      .selectFrom('domain_events')
      .select([sql<number>`count(*)::int`.as('count'), sql<number | null>`extract(epoch from now() - min(created_at))::float8`.as('seconds')])
      .where('delivery', '=', 'pending')
      .executeTakeFirstOrThrow(),
  ]);
  return {
    counts,
    oldestPendingS: pending.map((r) => ({ kind: r.kind, seconds: Number(r.seconds) })),
    longestSilenceS: silence.map((r) => ({ kind: r.kind, state: r.state, seconds: Number(r.seconds) })),
    callbacksPending: callbacks.count,
    oldestCallbackS: Number(callbacks.seconds ?? 0),
  };
}
