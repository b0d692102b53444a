import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { CallbackOutboxRepository, type DeliveryOutcome, type DueEventRow } from '../db/callback-outbox-repository.js';
import type { DB } from '../db/schema.js';
import type { JobSpec } from '../scheduling/scheduler.js';

/**
 * Delivers domain events (written in the same transaction as the change that raised them) to
 * the developer's callBackUrl: at least once, in order per user, retried with exponential
 * back-off and jitter for a bounded time, across restarts and replicas. Nothing here is on the
 * path of an API request, so a slow or dead callback server slows no one.
 */

export interface CallbackDeliveryOptions {
  intervalMs: number;
  /** Deliveries in flight at once (different users). */
  concurrency: number;
  timeoutMs: number;
  maxAttempts: number;
  /** An event older than this is given up on. */
  maxAgeMs: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export class CallbackDelivery {
  private readonly outbox: CallbackOutboxRepository;

  constructor(
    db: Kysely<DB>,
    private readonly options: CallbackDeliveryOptions,
    private readonly log: Logger,
    /** Told of each delivery attempt's outcome (metrics). */
    private readonly onOutcome: (outcome: 'delivered' | 'retry' | 'failed' | 'skipped') => void = () => {},
  ) {
    this.outbox = new CallbackOutboxRepository(db);
  }

  /** The periodic job that delivers: one round every `intervalMs`. */
  job(): JobSpec {
    return {
      name: 'callbacks',
      intervalMs: this.options.intervalMs,
      run: () => this.deliverDue(),
      failureLevel: 'error',
      failureMessage: 'callback round failed',
      logger: this.log,
    };
  }

  /** One round: claims what is due (the oldest pending event of each user) and delivers it. */
  async deliverDue(): Promise<number> {
    const leaseMs = this.options.timeoutMs * 2 + 5000;
    const rows = await this.outbox.claimDue(this.options.concurrency, leaseMs);
    await Promise.all(rows.map((event) => this.deliver(event)));
    return rows.length;
  }

  private async deliver(event: DueEventRow): Promise<void> {
    if (!event.callback_url || !event.callback_secret) {
      await this.settle(event.seq, { delivery: 'skipped', last_error: 'the user has no developer callBackUrl' });
      return;
    }
    const body = JSON.stringify({
      type: event.type,
      userData: event.user_data ?? '',
      apiAuthToken: event.api_auth_token ?? '',
      payload: event.payload,
    });
    let failure: string | undefined;
    try {
      const response = await fetch(event.callback_url, {
        method: 'POST',
        // The developer's own endpoint: its answer counts, a redirect is not followed.
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          authorization: event.user_id,
          'x-cutroom-event-id': event.id,
          'x-cutroom-event-type': event.type,
          'x-cutroom-signature': signCallback(event.callback_secret, body),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status < 200 || response.status >= 300) failure = `answered ${response.status}`;
    } catch (error) {
      failure = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : String((error as Error).message ?? error);
    }
    if (failure === undefined) {
      await this.settle(event.seq, { delivery: 'delivered', delivered_at: new Date(), attempts: event.attempts + 1, last_error: null });
      this.log.debug({ eventId: event.id, type: event.type }, 'callback delivered');
      return;
    }
    const attempts = event.attempts + 1;
    const expired = Date.now() - new Date(event.created_at).getTime() > this.options.maxAgeMs;
    if (attempts >= this.options.maxAttempts || expired) {
      this.log.warn({ eventId: event.id, attempts, failure }, 'callback given up');
      await this.settle(event.seq, { delivery: 'failed', attempts, last_error: failure });
      return;
    }
    const backoff = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (attempts - 1));
    const delayMs = Math.round(backoff * (0.5 + Math.random() / 2));
    this.log.info({ eventId: event.id, attempts, failure, retryInMs: delayMs }, 'callback failed; will retry');
    await this.settle(event.seq, {
      attempts,
      last_error: failure,
      next_attempt_at: new Date(Date.now() + delayMs),
    });
  }

  private async settle(seq: number, values: DeliveryOutcome): Promise<void> {
    await this.outbox.settle(seq, values);
    this.onOutcome(values.delivery ?? 'retry');
  }
}

/** The signature a developer checks: HMAC-SHA256 of the raw body with the account's callback secret. */
export function signCallback(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
