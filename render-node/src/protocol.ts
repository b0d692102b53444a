import type { OrderSpec, TaskKind, TaskResult } from './task-kinds.js';

/**
 * The wire contract between a render node and the control plane's internal API (`/internal`).
 * Every call carries `Authorization: Bearer <task token>`; the token is valid only while the
 * task is claimed for this attempt.
 *
 *   GET  /internal/tasks/:id            → WorkOrder (the first fetch marks the task running)
 *   POST /internal/tasks/:id/progress   ProgressReport → {}      (also the heartbeat)
 *   POST /internal/tasks/:id/log        LogReport → {}
 *   POST /internal/tasks/:id/complete   CompleteReport → {}
 *   POST /internal/tasks/:id/fail       FailReport → {}
 *
 * 401: the token is not (or no longer) valid; 409: the task is no longer this attempt's to work
 * on (aborted, timed out and requeued). On either the node stops at once.
 */

/** A work order of kind `K`; of any kind (a union of kinds' orders) by default. */
export interface WorkOrder<K extends TaskKind = TaskKind> {
  id: string;
  kind: K;
  attempt: number;
  /** Kind-specific input; URLs in it are signed by the control plane and expire. */
  spec: OrderSpec<K>;
  /** The node reports at least this often, even without progress, or the watchdog reclaims the task. */
  heartbeatIntervalS: number;
  /** Ask for GPU encoding where the kind encodes. */
  gpu: boolean;
}

export interface ProgressReport {
  /** 0 to 1 across the whole task. */
  progress: number;
  /** What the task is doing now (`downloading`, `running`, `uploading`, ...). */
  stage?: string;
}

export interface LogReport {
  lines: string[];
}

/**
 * The node's result for a task of kind `K`. The control plane stores it as it arrives (checked
 * to be an object) and reads it back typed by the task's kind (control-plane/src/work/task-store.ts).
 */
export interface CompleteReport<K extends TaskKind = TaskKind> {
  result: TaskResult<K>;
}

/** The editor API's engine error object: `type` engine_error | download_error | upload_error. */
export interface TaskErrorReport {
  type: 'engine_error' | 'download_error' | 'upload_error';
  code: string;
  message: string;
}

export interface FailReport {
  error: TaskErrorReport;
  /** Whether another attempt could succeed (a crash, an interruption), or never (bad input). */
  retryable: boolean;
}

/** Error code a node reports when it was stopped by a signal before finishing. */
export const INTERRUPTED_CODE = 'interrupted';
