import type { TaskErrorReport, WorkOrder } from '../protocol.js';
import type { OrderSpec, TaskKind, TaskResult } from '../task-kinds.js';

/**
 * One handler per task kind; the runner owns reporting, heartbeats, signals and scratch space.
 * `Spec` is the work order's spec: a kind's (`OrderSpec<K>`), or one variant of it for a handler
 * that a kind's handler hands on to (a segment of a render).
 */
export interface TaskContext<Spec = OrderSpec<TaskKind>> {
  order: Omit<WorkOrder, 'spec'> & { spec: Spec };
  /** Aborted when the task is cancelled, revoked or the node is told to stop. */
  signal: AbortSignal;
  /** Progress from 0 to 1 across the whole task, with what it is doing now. */
  progress(fraction: number, stage?: string): void;
  /** A line for the task's log (strategy decisions, warnings). */
  log(line: string): void;
  /** A private directory, removed when the task ends. */
  scratchDir: string;
  /** When this node process started, and when it was given this task (ms since the epoch). */
  startedAtMs?: number;
  assignedAtMs?: number;
  /** When the work order arrived (ms since the epoch). */
  workOrderAtMs?: number;
}

/** The handler of kind `K`: given that kind's work order, it answers that kind's result. */
export type TaskHandler<K extends TaskKind> = (context: TaskContext<OrderSpec<K>>) => Promise<TaskResult<K>>;

/** A handler for every kind: a kind without one, or one answering another kind's result, does not compile. */
export type TaskHandlers = { [K in TaskKind]: TaskHandler<K> };

/** A failure the handler understood: reported with its code, retried only when it may help. */
export class TaskFailure extends Error {
  constructor(
    readonly report: TaskErrorReport,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(report.message, options);
    this.name = 'TaskFailure';
  }
}
