import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one control-plane instance (its own registry, so tests can run several). */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'cutroom_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly openSockets = new Gauge({
    name: 'cutroom_websocket_open_sockets',
    help: 'Editor WebSockets open on this replica',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cutroom_' });
  }

  /** Voiceover sessions (WebRTC connections) this replica holds, read at each scrape. */
  observeVoiceoverSessions(count: () => number): void {
    new Gauge({
      name: 'cutroom_voiceover_sessions',
      help: 'Voiceover sessions open on this replica (recording or not)',
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  }

  /** Active tasks by kind and state, read from the database at each scrape. */
  observeTasks(counts: () => Promise<Array<{ kind: string; state: string; count: number }>>): void {
    new Gauge({
      name: 'cutroom_tasks',
      help: 'Active tasks by kind and state (all replicas)',
      labelNames: ['kind', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await counts()) this.set({ kind: row.kind, state: row.state }, row.count);
      },
    });
  }
}
