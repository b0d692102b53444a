import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { versionString } from './version.js';

/**
 * Prometheus metrics of one control-plane instance (its own registry, so tests can run several).
 * docs/metrics.md is the catalogue. Counters count what happened on this replica (sum them over
 * replicas); the `cutroom_tasks*` and `cutroom_callbacks_backlog*` gauges describe the whole
 * installation and come from a snapshot of the database refreshed at most every
 * `queueRefreshMs`, never once per scrape, and kept as it was while the database is away.
 */

export interface QueueSnapshot {
  /** Active tasks by kind and state. */
  counts: Array<{ kind: string; state: string; count: number }>;
  /** Seconds the oldest pending (due) task of each kind has waited. */
  oldestPendingS: Array<{ kind: string; seconds: number }>;
  /** Seconds since the quietest dispatched, running or completing task of each kind last reported. */
  longestSilenceS: Array<{ kind: string; state: string; seconds: number }>;
  /** Callbacks still to deliver, and how long the oldest has waited. */
  callbacksPending: number;
  oldestCallbackS: number;
}

export interface PoolStats {
  size: number;
  total: number;
  idle: number;
  waiting: number;
}

/**
 * Process and Node.js metrics under their standard names (process_*, nodejs_*), as shared
 * dashboards expect, and `cutroom_build_info`: for the control plane and the operator alike.
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'cutroom_build_info',
    help: 'The running build: always 1, with its version and Node.js version as labels',
    labelNames: ['version', 'node_version'] as const,
    registers: [registry],
  }).set({ version: versionString(), node_version: process.versions.node }, 1);
}

const TASK_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];

/** Why a render node was lost, from a dispatcher's words: a few stable values for alerts. */
export function lostWorkerReason(reason: string): string {
  if (/OOMKilled/i.test(reason)) return 'OOMKilled';
  if (/Evicted|Preempt/i.test(reason)) return 'Evicted';
  if (/DeadlineExceeded|deadline/i.test(reason)) return 'DeadlineExceeded';
  if (/ErrImagePull|ImagePullBackOff|InvalidImageName|image pull/i.test(reason)) return 'ImagePull';
  if (/CreateContainerConfigError|CreateContainerError/i.test(reason)) return 'ContainerConfig';
  if (/heartbeat/i.test(reason)) return 'HeartbeatTimeout';
  if (/JobDeleted|deleted/i.test(reason)) return 'Deleted';
  if (/launch/i.test(reason)) return 'LaunchFailed';
  if (/killed by|SIG/i.test(reason)) return 'Killed';
  return 'Error';
}

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

  readonly tasksFinished = new Counter({
    name: 'cutroom_tasks_finished_total',
    help: 'Tasks that reached an end on this replica, by kind and result (completed, failed, aborted)',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly queueWait = new Histogram({
    name: 'cutroom_task_queue_wait_seconds',
    help: 'Time from a task being submitted to its first dispatch, by kind',
    labelNames: ['kind'] as const,
    buckets: TASK_SECONDS,
    registers: [this.registry],
  });

  readonly runTime = new Histogram({
    name: 'cutroom_task_run_seconds',
    help: 'Time from a task first running to its end, by kind and result',
    labelNames: ['kind', 'result'] as const,
    buckets: TASK_SECONDS,
    registers: [this.registry],
  });

  readonly attempts = new Counter({
    name: 'cutroom_task_attempts_total',
    help: 'Attempts dispatched to render nodes, by kind (more than the tasks: retries)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly lostWorkers = new Counter({
    name: 'cutroom_task_lost_workers_total',
    help: 'Attempts whose render node was lost before reporting its end, by kind and reason',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });

  readonly gpuFallbacks = new Counter({
    name: 'cutroom_render_gpu_fallbacks_total',
    help: 'GPU renders whose NVENC encoding failed and were encoded in software instead',
    registers: [this.registry],
  });

  readonly callbacks = new Counter({
    name: 'cutroom_callbacks_total',
    help: 'Callback delivery attempts by outcome: delivered, retry (failed, tried again later), failed (given up), skipped (no receiver)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly s3Errors = new Counter({
    name: 'cutroom_s3_errors_total',
    help: 'Object storage requests that failed, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly snapshotErrors = new Counter({
    name: 'cutroom_metrics_snapshot_errors_total',
    help: 'Refreshes of the database snapshot behind the installation-wide gauges that failed (the gauges keep their last values)',
    registers: [this.registry],
  });

  readonly snapshotAge = new Gauge({
    name: 'cutroom_metrics_snapshot_age_seconds',
    help: 'Age of the database snapshot behind the installation-wide gauges',
    registers: [this.registry],
  });

  private snapshot: QueueSnapshot | undefined;
  private snapshotAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor() {
    registerProcessMetrics(this.registry);
  }

  /**
   * Installation-wide gauges from `read`, refreshed in the background when a scrape finds the
   * snapshot older than `refreshMs`: a scrape never waits on the database, and an outage leaves
   * the last values (and counts an error) instead of failing the scrape.
   */
  observeQueue(read: () => Promise<QueueSnapshot>, refreshMs: number): void {
    const refresh = () => {
      this.refreshing ??= read()
        .then((snapshot) => {
          this.snapshot = snapshot;
          this.snapshotAt = Date.now();
        })
        .catch(() => this.snapshotErrors.inc())
        .finally(() => (this.refreshing = undefined));
      return this.refreshing;
    };
    const stale = () => Date.now() - this.snapshotAt >= refreshMs;
    // prom-client calls collect() with the gauge as `this`: the snapshot is reached through these.
    const current = () => this.snapshot;
    const markAge = () => {
      if (this.snapshotAt) this.snapshotAge.set((Date.now() - this.snapshotAt) / 1000);
    };
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, s: QueueSnapshot) => void) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          if (stale()) void refresh();
          markAge();
          const snapshot = current();
          if (!snapshot) return;
          this.reset();
          fill(this, snapshot);
        },
      });
    gauge('cutroom_tasks', 'Active tasks by kind and state (all replicas)', ['kind', 'state'], (g, s) => {
      for (const row of s.counts) g.set({ kind: row.kind, state: row.state }, row.count);
    });
    gauge('cutroom_task_oldest_pending_seconds', 'How long the oldest due pending task of each kind has waited (all replicas)', ['kind'], (g, s) => {
      for (const row of s.oldestPendingS) g.set({ kind: row.kind }, row.seconds);
    });
    gauge(
      'cutroom_task_longest_silence_seconds',
      'Seconds since the quietest active task of each kind and state last reported (all replicas): past TASK_HEARTBEAT_TIMEOUT_S, a task is stuck',
      ['kind', 'state'],
      (g, s) => {
        for (const row of s.longestSilenceS) g.set({ kind: row.kind, state: row.state }, row.seconds);
      },
    );
    gauge('cutroom_callbacks_backlog', 'Callbacks still to deliver (all replicas)', [], (g, s) => g.set(s.callbacksPending));
    gauge('cutroom_callbacks_oldest_pending_seconds', 'How long the oldest callback still to deliver has waited', [], (g, s) => g.set(s.oldestCallbackS));
    // The first scrape finds values already there.
    void refresh();
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

  /** The database pool of this replica, read from the pool itself (no query). */
  observePool(stats: () => PoolStats | undefined): void {
    new Gauge({
      name: 'cutroom_db_pool_connections',
      help: 'Database connections of this replica by state: in_use, idle, and the configured size (DATABASE_POOL_SIZE)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const s = stats();
        if (!s) return;
        this.set({ state: 'in_use' }, s.total - s.idle);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'size' }, s.size);
      },
    });
    new Gauge({
      name: 'cutroom_db_pool_waiting',
      help: 'Queries of this replica waiting for a free database connection',
      registers: [this.registry],
      collect() {
        const s = stats();
        if (s) this.set(s.waiting);
      },
    });
  }
}
