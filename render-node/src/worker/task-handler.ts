import type { TaskErrorReport, WorkOrder } from '../protocol.js';

/** One handler per task kind; the runner owns reporting, heartbeats, signals and scratch space. */
export interface TaskContext<Spec = Record<string, unknown>> {
  order: WorkOrder<Spec>;
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

export type TaskHandler = (context: TaskContext<any>) => Promise<Record<string, unknown>>;

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
