import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB, TaskError } from '../db/schema.js';
import { hashSecret } from '../ids.js';
import { conflict, notFound, unauthorized } from '../http/errors.js';
import type { FailReport, LogReport, ProgressReport, TaskKind, WorkOrder } from '@cutroom/render-node';
import type { Dispatcher, DispatcherEvents } from './dispatcher.js';
import type { TaskKindDefinition, TaskKindRegistry } from './task-kinds.js';
import { FINAL_STATES, resultOf, TaskStore, type TaskRow, type TaskSubmission } from './task-store.js';
import type { ScheduledJob, Scheduler } from '../scheduling/scheduler.js';

/**
 * The work system's control loop: claims pending tasks for the dispatcher, answers render
 * nodes on the internal API, runs the kind hooks as attempts end, and a watchdog that
 * reclaims attempts whose heartbeat went quiet.
 */

export interface WorkQueueOptions {
  /** Identifies this control-plane process in `claimed_by`. */
  replicaId: string;
  internalUrl: () => string;
  dispatchIntervalMs: number;
  watchdogIntervalMs: number;
  /** How often render nodes must report, at least. */
  heartbeatIntervalS: number;
}

export type TaskListener = (task: TaskRow) => void;

/** What metrics need of attempts beyond state changes (all optional). */
export interface AttemptObserver {
  /** An attempt was handed to a render node (`task` as claimed). */
  dispatched?(task: TaskRow): void;
  /** An attempt failed because its render node was lost (killed, evicted, silent...). */
  lost?(task: TaskRow, reason: string): void;
}

export class WorkQueue implements DispatcherEvents {
  readonly store: TaskStore;
  private readonly kinds: TaskKindRegistry = {};
  private dispatcher: Dispatcher | undefined;
  /** The periodic jobs `dispatch` and `watchdog`, on the process's scheduler once started. */
  private jobs: { dispatch: ScheduledJob; watchdog: ScheduledJob } | undefined;
  private closed = false;
  private readonly listeners: TaskListener[] = [];
  private readonly observers: AttemptObserver[] = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly options: WorkQueueOptions,
    private readonly log: Logger,
  ) {
    this.store = new TaskStore(db);
  }

  register<K extends TaskKind>(definition: TaskKindDefinition<K>): void {
    // The registry seen through the definition's kinds, where its slot is that kind's.
    const kinds: { [P in K]?: TaskKindDefinition<P> } = this.kinds;
    kinds[definition.kind] = definition;
  }

  /** Called with every task whose state or progress changed (pushes to the editor, metrics). */
  onChange(listener: TaskListener): void {
    this.listeners.push(listener);
  }

  observeAttempts(observer: AttemptObserver): void {
    this.observers.push(observer);
  }

  /** Dispatches now and every `dispatchIntervalMs`, and runs the watchdog every `watchdogIntervalMs`. */
  start(dispatcher: Dispatcher, scheduler: Scheduler): void {
    this.dispatcher = dispatcher;
    this.jobs = {
      dispatch: scheduler.add({
        name: 'dispatch',
        intervalMs: this.options.dispatchIntervalMs,
        runAtStart: true,
        run: () => this.dispatch(),
        failureLevel: 'error',
        failureMessage: 'dispatch failed',
        logger: this.log,
      }),
      watchdog: scheduler.add({ name: 'watchdog', intervalMs: this.options.watchdogIntervalMs, run: () => this.watchdog(), logger: this.log }),
    };
    this.jobs.dispatch.start();
    this.jobs.watchdog.start();
  }

  /** Creates a task; pass a transaction to create it atomically with its subject. Call `kick` after commit. */
  async submit<K extends TaskKind>(task: TaskSubmission<K>, db?: Kysely<DB>): Promise<TaskRow> {
    const definition = this.definition(task.kind);
    const row = await this.store.create({ ...task, maxAttempts: definition.maxAttempts }, db);
    if (!db) this.kick();
    return row;
  }

  /** Claims and launches what the dispatcher has room for, now (or right after the dispatch in progress). */
  kick(): void {
    if (this.closed) return;
    this.jobs?.dispatch.trigger();
  }

  private async dispatch(): Promise<void> {
    const dispatcher = this.dispatcher!;
    const claimed = await this.store.claim(this.options.replicaId, dispatcher.capacity(), Object.keys(this.kinds));
    for (const { task, token } of claimed) {
      const definition = this.definition(task.kind);
      this.emit(task);
      for (const observer of this.observers) observer.dispatched?.(task);
      try {
        await dispatcher.launch({
          taskId: task.id,
          kind: definition.kind,
          attempt: task.attempts,
          token,
          internalUrl: this.options.internalUrl(),
          gpu: task.gpu,
          deadlineS: definition.deadlineS,
        });
        this.log.info({ taskId: task.id, kind: task.kind, attempt: task.attempts }, 'task dispatched');
      } catch (error) {
        this.log.error({ err: error, taskId: task.id }, 'launching a render node failed');
        await this.attemptFailed(task.id, { attempt: task.attempts }, internalError('launch_failed', String(error)), true);
      }
    }
  }

  // ---- the internal API, as render nodes see it ----

  /** The work order for a node; the first fetch marks the task running. */
  async openWorkOrder(id: string, token: string): Promise<WorkOrder> {
    const task = await this.authorize(id, token);
    if (task.state !== 'dispatched' && task.state !== 'running') throw conflict(`task ${id} is ${task.state}`);
    if (!(await this.store.markRunning(id, hashSecret(token)))) throw conflict(`task ${id} is no longer this attempt's`);
    const running = { ...task, state: 'running' as const };
    this.emit(running);
    return {
      id,
      kind: task.kind,
      attempt: task.attempts,
      spec: await this.definition(task.kind).workOrder(running),
      heartbeatIntervalS: this.options.heartbeatIntervalS,
      gpu: task.gpu,
    };
  }

  async reportProgress(id: string, token: string, report: ProgressReport): Promise<void> {
    await this.authorize(id, token);
    const task = await this.store.progress(id, hashSecret(token), report.progress, report.stage);
    if (!task) throw conflict(`task ${id} is no longer running for this attempt`);
    this.emit(task);
    await this.definition(task.kind).onProgress?.(task);
    if (task.parent_id) await this.partProgressed(task.parent_id);
  }

  async reportLog(id: string, token: string, report: LogReport): Promise<void> {
    await this.authorize(id, token);
    if (!(await this.store.appendLog(id, hashSecret(token), report.lines))) throw conflict(`task ${id} is not running`);
  }

  /** `report.result` is stored as it came (an object); TaskStore reads it back as the kind's result. */
  async reportComplete(id: string, token: string, report: { result: object }): Promise<void> {
    const current = await this.authorize(id, token);
    // A node that lost our answer reports again: the same outcome, nothing done twice.
    if (current.state === 'completing' || current.state === 'completed') return;
    const task = await this.store.beginCompletion(id, hashSecret(token), report.result);
    if (!task) throw conflict(`task ${id} is ${current.state}, not running`);
    await this.finishCompletion(task);
  }

  async reportFail(id: string, token: string, report: FailReport): Promise<void> {
    const current = await this.authorize(id, token);
    if (current.state === 'aborted' || current.state === 'error') return;
    const task = await this.attemptFailed(id, { tokenHash: hashSecret(token) }, report.error, report.retryable);
    if (!task) throw conflict(`task ${id} is ${current.state}`);
  }

  private async authorize(id: string, token: string): Promise<TaskRow> {
    const task = await this.store.forToken(id, token);
    if (!task) throw unauthorized('the task token is not valid for this task');
    return task;
  }

  // ---- attempts ending ----

  /** DispatcherEvents: the worker of an attempt is gone; harmless when it had reported its end. */
  workerLost(taskId: string, attempt: number, reason: string): void {
    void this.attemptFailed(taskId, { attempt }, internalError('worker_lost', reason), true)
      .then((task) => {
        // Only a loss that ended a live attempt: a node that exits after its last report lost nothing.
        if (task) for (const observer of this.observers) observer.lost?.(task, reason);
      })
      .catch((error: unknown) => this.log.error({ err: error, taskId }, 'recording a lost worker failed'));
  }

  private async attemptFailed(
    id: string,
    guard: { tokenHash: string } | { attempt: number },
    error: TaskError,
    retryable: boolean,
  ): Promise<TaskRow | undefined> {
    const task = await this.finalize((trx) => this.store.failAttempt(id, guard, error, retryable, undefined, trx));
    if (!task) return undefined;
    this.emit(task);
    if (task.state === 'pending') {
      this.log.warn({ taskId: id, attempt: task.attempts, error }, 'attempt failed; task requeued');
      await this.store.note(id, `attempt ${task.attempts} failed (${error.code}: ${error.message}); retrying`);
      this.kick();
    } else {
      this.log.warn({ taskId: id, attempt: task.attempts, error }, 'task failed');
      await this.runHook(task, 'onFailed', () => this.definition(task.kind).onFailed?.(task));
      if (task.state === 'error' && task.parent_id) await this.partFailed(task);
    }
    return task;
  }

  private async finishCompletion(task: TaskRow): Promise<void> {
    let done: TaskRow | undefined;
    try {
      await this.definition(task.kind).onComplete?.(task, resultOf(task));
      done = await this.finalize((trx) => this.store.finishCompletion(task.id, trx), false);
    } catch (error) {
      this.log.error({ err: error, taskId: task.id }, 'completing a task failed');
      const failed = await this.finalize((trx) => this.store.failCompletion(task.id, internalError('completion_failed', (error as Error).message), trx));
      if (failed) {
        this.emit(failed);
        await this.runHook(failed, 'onFailed', () => this.definition(failed.kind).onFailed?.(failed));
        if (failed.parent_id) await this.partFailed(failed);
      }
      return;
    }
    if (done) {
      this.log.info({ taskId: task.id, kind: task.kind }, 'task completed');
      this.emit(done);
      // The last part done makes its parent claimable: the kick below dispatches it.
      if (done.parent_id) await this.partProgressed(done.parent_id);
    }
    this.kick();
  }

  // ---- tasks made of parts (a segmented render's segments) ----

  /** Share of a parent's progress that its parts make; its own attempt makes the rest. */
  static readonly PARTS_SHARE = 0.9;

  private async partProgressed(parentId: string): Promise<void> {
    try {
      const parent = await this.store.progressFromParts(parentId, WorkQueue.PARTS_SHARE);
      if (!parent) return;
      this.emit(parent);
      await this.definition(parent.kind).onProgress?.(parent);
    } catch (error) {
      this.log.warn({ err: error, taskId: parentId }, 'recording the progress of a task made of parts failed');
    }
  }

  /** A part failed for good: its parent fails with the part's error, and its other parts stop. */
  private async partFailed(part: TaskRow): Promise<void> {
    const cause = part.error ?? internalError('part_failed', 'a part of the task failed');
    const parent = await this.finalize((trx) => this.store.failWaiting(part.parent_id!, { ...cause, message: `a segment failed: ${cause.message}` }, trx));
    if (!parent) return;
    this.log.warn({ taskId: parent.id, partId: part.id, error: cause }, 'a part failed; its task failed');
    this.emit(parent);
    await this.runHook(parent, 'onFailed', () => this.definition(parent.kind).onFailed?.(parent));
    await this.abortParts(parent.id);
  }

  /** Stops every part of a task that has not ended. */
  private async abortParts(parentId: string): Promise<void> {
    for (const part of await this.store.activeParts(parentId)) {
      const aborted = await this.finalize((trx) => this.store.abort(part.id, undefined, trx));
      if (!aborted) continue;
      this.emit(aborted);
      await this.dispatcher?.stop(part.id);
      await this.runHook(aborted, 'onAborted', () => this.definition(aborted.kind).onAborted?.(aborted));
    }
  }

  // ---- the public side ----

  /** Aborts a task of an owner: the worker is stopped and partial outputs removed. */
  async abort(id: string, ownerId: string | undefined): Promise<TaskRow> {
    const task = await this.finalize((trx) => this.store.abort(id, ownerId, trx));
    if (!task) {
      const existing = await this.store.get(id);
      if (!existing || (ownerId !== undefined && existing.owner_id !== ownerId)) throw notFound(`no task ${id}`);
      return existing;
    }
    this.emit(task);
    await this.dispatcher?.stop(id);
    await this.abortParts(id);
    await this.runHook(task, 'onAborted', () => this.definition(task.kind).onAborted?.(task));
    // A part aborted on its own (by an operator) would leave its parent waiting for ever.
    if (task.parent_id) await this.partFailed({ ...task, error: internalError('aborted', 'the segment was aborted') });
    this.kick();
    return task;
  }

  /** An operator's retry of a task that failed for good: back to pending with one more attempt. */
  async retry(id: string): Promise<TaskRow> {
    const part = await this.store.get(id);
    if (part?.parent_id) throw conflict(`task ${id} is a part of task ${part.parent_id}: retry that one`);
    const task = await this.store.retry(id);
    if (!task) {
      const existing = await this.store.get(id);
      if (!existing) throw notFound(`no task ${id}`);
      throw conflict(`task ${id} is ${existing.state}: only a task in error can be retried`);
    }
    const parts = await this.store.retryParts(id);
    this.log.info({ taskId: id, kind: task.kind, parts: parts.length }, 'task retried by an operator');
    this.emit(task);
    for (const part of parts) this.emit(part);
    this.kick();
    return task;
  }

  // ---- the watchdog ----

  /** Reclaims attempts that stopped reporting, and finishes completions a dead replica left. */
  async watchdog(): Promise<void> {
    if (this.closed) return;
    try {
      const limits = Object.fromEntries(this.registered().map((k) => [k.kind, k.heartbeatTimeoutS]));
      for (const task of await this.store.stale(limits, 60)) {
        const failed = await this.attemptFailed(
          task.id,
          { attempt: task.attempts },
          internalError('heartbeat_timeout', `no report from the render node for ${limits[task.kind] ?? 60} s`),
          true,
        );
        if (failed) for (const observer of this.observers) observer.lost?.(failed, 'heartbeat timeout');
        if (failed) await this.dispatcher?.stop(task.id);
      }
      const stuckAfterS = 30;
      for (const task of await this.store.stuckCompleting(stuckAfterS)) {
        if (await this.store.touchCompleting(task.id, stuckAfterS)) await this.finishCompletion(task);
      }
    } catch (error) {
      this.log.error({ err: error }, 'watchdog round failed');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.jobs?.dispatch.stop(), this.jobs?.watchdog.stop()]);
    // Local workers get SIGTERM and report themselves interrupted; their tasks go back to pending.
    await this.dispatcher?.close();
  }

  /**
   * Runs a transition that may end a task and, when it did, the kind's `onFinal` in the same
   * transaction. Should `onFinal` fail, the transition alone is applied (with `keepOnHookFailure`)
   * rather than leaving the task in a state it has already left as far as its worker knows.
   */
  private async finalize(transition: (trx: Kysely<DB>) => Promise<TaskRow | undefined>, keepOnHookFailure = true): Promise<TaskRow | undefined> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const task = await transition(trx);
        if (task && FINAL_STATES.includes(task.state)) await this.registration(task.kind)?.onFinal?.(task, trx);
        return task;
      });
    } catch (error) {
      if (!keepOnHookFailure) throw error;
      this.log.error({ err: error }, 'the final hook of a task failed; recording the transition without it');
      return transition(this.db);
    }
  }

  private definition<K extends TaskKind>(kind: K): TaskKindDefinition<K> {
    const definition = this.registration(kind);
    if (!definition) throw new Error(`no task kind ${kind} is registered`);
    return definition;
  }

  /**
   * The definition registered for a kind, typed by that kind. Given a task's kind, it is the
   * definition of that very task: `register` files each definition under its own kind.
   */
  private registration<K extends TaskKind>(kind: K): TaskKindDefinition<K> | undefined {
    return this.kinds[kind];
  }

  private registered(): Array<NonNullable<TaskKindRegistry[TaskKind]>> {
    return Object.values(this.kinds).filter((definition) => definition !== undefined);
  }

  private emit(task: TaskRow): void {
    for (const listener of this.listeners) {
      try {
        listener(task);
      } catch (error) {
        this.log.warn({ err: error }, 'task listener failed');
      }
    }
  }

  private async runHook(task: TaskRow, name: string, hook: () => Promise<void> | undefined): Promise<void> {
    try {
      await hook();
    } catch (error) {
      this.log.error({ err: error, taskId: task.id, hook: name }, 'task hook failed');
    }
  }
}

function internalError(code: string, message: string): TaskError {
  return { type: 'engine_error', code, message };
}
