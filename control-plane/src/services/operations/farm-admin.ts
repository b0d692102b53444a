import type { Kysely } from 'kysely';
import type { DB, TaskError, TaskState } from '../../db/schema.js';
import { TaskAdminRepository, type TaskSummaryRow } from '../../db/task-admin-repository.js';
import { CallbackOutboxRepository, type Delivery, type OutboxEntryRow } from '../../db/callback-outbox-repository.js';
import type { Dispatcher, DispatcherView } from '../../work/dispatcher.js';
import type { WorkQueue } from '../../work/work-queue.js';
import { conflict, notFound } from '../../http/errors.js';

/**
 * What an operator sees of the render farm and may do to it: the queue, running tasks and
 * recent failures, the dispatcher's workers, the callback outbox; abort or retry a task and send
 * a failed callback again. Times are unix milliseconds, progress is percent.
 */

export interface AdminTask {
  id: string;
  kind: string;
  state: TaskState;
  stage: string | null;
  progress: number;
  attempts: number;
  maxAttempts: number;
  ownerId: string | null;
  developerId: string | null;
  gpu: boolean;
  /** The control-plane replica that claimed the current attempt. */
  claimedBy: string | null;
  /** Where the current attempt runs, when this replica's dispatcher knows it. */
  node: string | null;
  /** The last attempt's error (a task that will be retried keeps it until then). */
  error: TaskError | null;
  createTime: number;
  startTime: number | null;
  finishTime: number | null;
  heartbeatTime: number | null;
  /** A retry waits until then. */
  notBefore: number | null;
}

export interface AdminFailure extends AdminTask {
  /** The last lines of the task's log: the render node's messages and ffmpeg's stderr tail. */
  logTail: string[];
}

export interface OutboxEntry {
  id: string;
  userId: string;
  type: string;
  delivery: Delivery;
  attempts: number;
  nextAttemptTime: number;
  lastError: string | null;
  createTime: number;
  deliveredTime: number | null;
  callbackUrl: string | null;
}

export interface FarmAdminOptions {
  /** Finished tasks count in the queue view for this long. */
  finishedWithinS: number;
  failureLogLines: number;
}

const ms = (date: Date | null): number | null => (date === null ? null : new Date(date).getTime());

export class FarmAdmin {
  private readonly tasks: TaskAdminRepository;
  private readonly outbox: CallbackOutboxRepository;

  constructor(
    db: Kysely<DB>,
    private readonly work: WorkQueue,
    private readonly dispatcher: Dispatcher,
    private readonly options: FarmAdminOptions,
  ) {
    this.tasks = new TaskAdminRepository(db);
    this.outbox = new CallbackOutboxRepository(db);
  }

  async queue() {
    return { finishedWithinS: this.options.finishedWithinS, counts: await this.tasks.countsByKindAndState(this.options.finishedWithinS) };
  }

  async listTasks(filter: { states?: TaskState[]; kinds?: string[]; offset: number; limit: number }) {
    const { total, rows } = await this.tasks.list(filter);
    const nodes = this.nodes();
    return { total_count: total, entries: rows.map((row) => this.view(row, nodes)) };
  }

  async task(id: string): Promise<AdminTask & { log: string[] }> {
    const row = await this.tasks.get(id);
    if (!row) throw notFound(`no task ${id}`);
    return { ...this.view(row, this.nodes()), log: row.log };
  }

  async failures(limit: number): Promise<{ entries: AdminFailure[] }> {
    const rows = await this.tasks.recentFailures(limit, this.options.failureLogLines);
    const nodes = this.nodes();
    return { entries: rows.map((row) => ({ ...this.view(row, nodes), logTail: row.log_tail })) };
  }

  /** Stops a task whoever owns it (its worker is stopped, its partial outputs removed). */
  async abort(id: string): Promise<AdminTask & { log: string[] }> {
    await this.work.abort(id, undefined);
    return this.task(id);
  }

  async retry(id: string): Promise<AdminTask & { log: string[] }> {
    await this.work.retry(id);
    return this.task(id);
  }

  dispatcherView(): DispatcherView {
    return this.dispatcher.describe();
  }

  async callbacks(deliveries: Delivery[], limit: number) {
    const [counts, rows] = await Promise.all([this.outbox.countsByDelivery(), this.outbox.list(deliveries, limit)]);
    return { counts, entries: rows.map(outboxView) };
  }

  async redeliver(id: string): Promise<OutboxEntry> {
    const row = await this.outbox.redeliver(id);
    if (row) return outboxView(row);
    const existing = await this.outbox.get(id);
    if (!existing) throw notFound(`no callback event ${id}`);
    throw conflict(`callback event ${id} is ${existing.delivery}: only a failed or skipped one can be sent again`);
  }

  private nodes(): Map<string, string> {
    return new Map(this.dispatcher.describe().workers.map((worker) => [worker.taskId, worker.node]));
  }

  private view(row: TaskSummaryRow, nodes: Map<string, string>): AdminTask {
    const working = row.state === 'dispatched' || row.state === 'running' || row.state === 'completing';
    return {
      id: row.id,
      kind: row.kind,
      state: row.state,
      stage: row.stage,
      progress: Math.round(row.progress * 100),
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      ownerId: row.owner_id,
      developerId: row.developer_id,
      gpu: row.gpu,
      claimedBy: row.claimed_by,
      node: working ? (nodes.get(row.id) ?? null) : null,
      error: row.error,
      createTime: ms(row.created_at)!,
      startTime: ms(row.started_at),
      finishTime: ms(row.finished_at),
      heartbeatTime: ms(row.heartbeat_at),
      notBefore: ms(row.not_before),
    };
  }
}

function outboxView(row: OutboxEntryRow): OutboxEntry {
  return {
    id: row.id,
    userId: row.user_id,
    type: row.type,
    delivery: row.delivery,
    attempts: row.attempts,
    nextAttemptTime: ms(row.next_attempt_at)!,
    lastError: row.last_error,
    createTime: ms(row.created_at)!,
    deliveredTime: ms(row.delivered_at),
    callbackUrl: row.callback_url,
  };
}
