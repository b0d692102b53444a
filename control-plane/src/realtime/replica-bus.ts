import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import type { Logger } from '../logger.js';

/**
 * Messages between the control-plane replicas of one installation, through the database they
 * share (Postgres LISTEN/NOTIFY): what happens on one replica that users connected to another
 * must hear of, such as a task's progress reported by a render node to whichever replica it
 * reached. Best effort, as a push is: a replica whose listening connection is down misses what is
 * said meanwhile (the next change says it again). A replica does not hear its own messages.
 */
export interface ReplicaBus {
  publish(topic: string, payload: unknown): void;
  subscribe(topic: string, handler: (payload: unknown) => void): void;
  close(): Promise<void>;
}

/** One process, one replica (the embedded PGlite): nobody else to tell. */
export class LocalBus implements ReplicaBus {
  publish(): void {}
  subscribe(): void {}
  async close(): Promise<void> {}
}

const CHANNEL = 'cutroom_replicas';
/** Postgres refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7900;

interface Envelope {
  from: string;
  topic: string;
  payload: unknown;
}

export class PostgresBus implements ReplicaBus {
  private readonly handlers = new Map<string, Array<(payload: unknown) => void>>();
  private listener: pg.Client | undefined;
  private closed = false;
  private retryMs = 500;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Publishes go out one after another, so other replicas hear them in the order they were said. */
  private sending: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly connectionString: string,
    private readonly db: Kysely<any>,
    private readonly replicaId: string,
    private readonly logger: Logger,
  ) {}

  /** Resolves once listening, so nothing said after start-up is missed. */
  static async start(connectionString: string, db: Kysely<any>, replicaId: string, logger: Logger): Promise<PostgresBus> {
    const bus = new PostgresBus(connectionString, db, replicaId, logger);
    await bus.listen();
    return bus;
  }

  publish(topic: string, payload: unknown): void {
    if (this.closed) return;
    const text = JSON.stringify({ from: this.replicaId, topic, payload } satisfies Envelope);
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      this.logger.warn({ topic, bytes: Buffer.byteLength(text) }, 'replica message too large for NOTIFY; other replicas will not hear it');
      return;
    }
    this.sending = this.sending
      .then(() => sql`select pg_notify(${CHANNEL}, ${text})`.execute(this.db))
      .catch((error: unknown) => this.logger.warn({ err: error, topic }, 'telling other replicas failed'));
  }

  subscribe(topic: string, handler: (payload: unknown) => void): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.sending;
    await this.listener?.end().catch(() => {});
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (message) => this.deliver(message.payload));
    // A dropped connection (a database restart, a failover) is reopened with back-off.
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'replica bus connection failed');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    await client.connect();
    await client.query(`listen ${CHANNEL}`);
    this.listener = client;
    this.retryMs = 500;
  }

  private reconnect(client: pg.Client): void {
    if (this.closed || this.listener !== client) return;
    this.listener = undefined;
    client.end().catch(() => {});
    this.retryTimer = setTimeout(() => {
      this.listen().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'replica bus could not listen; retrying');
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
        this.listener = client;
        this.reconnect(client);
      });
    }, this.retryMs).unref();
  }

  private deliver(text: string | undefined): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text ?? '') as Envelope;
    } catch {
      return;
    }
    if (envelope.from === this.replicaId) return;
    for (const handler of this.handlers.get(envelope.topic) ?? []) {
      try {
        handler(envelope.payload);
      } catch (error) {
        this.logger.warn({ err: error, topic: envelope.topic }, 'a replica message handler failed');
      }
    }
  }
}
