import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { TaskRow } from './task-store.js';
import type { TaskKind } from './dispatcher.js';

/**
 * What the control plane knows about one kind of task: its limits, how to build the work order
 * a render node receives (signing URLs at that moment, so they are fresh), and what to do when
 * an attempt ends. Hooks must be idempotent: after a crash they may run again.
 */
export interface TaskKindDefinition {
  kind: TaskKind;
  maxAttempts: number;
  /** Without a report for this long, the attempt is considered lost. */
  heartbeatTimeoutS: number;
  /** Wall-clock limit of one attempt. */
  deadlineS: number;
  /** The kind-specific part of the work order. */
  workOrder(task: TaskRow): Promise<Record<string, unknown>>;
  /** Progress was recorded (e.g. mirror it on the media entry). */
  onProgress?(task: TaskRow): Promise<void>;
  /** The node succeeded; finish what the control plane owns (database rows, objects). */
  onComplete?(task: TaskRow, result: Record<string, unknown>): Promise<void>;
  /**
   * The task has just moved to a final state (`completed`, `error` or `aborted`): rows to write
   * atomically with that move (domain events, the subject's final status). Runs inside the
   * transaction of the move and must use `trx` only; a throw undoes the rows it wrote.
   */
  onFinal?(task: TaskRow, trx: Kysely<DB>): Promise<void>;
  /** The task ended in `error` for good. */
  onFailed?(task: TaskRow): Promise<void>;
  /** The task was aborted; its worker is stopped. Remove partial outputs. */
  onAborted?(task: TaskRow): Promise<void>;
}
