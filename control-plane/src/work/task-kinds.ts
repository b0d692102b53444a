import type { Kysely } from 'kysely';
import type { OrderSpec, TaskKind, TaskResult } from '@cutroom/render-node';
import type { DB } from '../db/schema.js';
import type { Task } from './task-store.js';

/**
 * What the control plane knows about one kind of task: its limits, how to build the work order
 * a render node receives (signing URLs at that moment, so they are fresh), and what to do when
 * an attempt ends. Hooks must be idempotent: after a crash they may run again.
 *
 * Typed by its kind `K` (the render node's task-kinds.ts): the hooks get tasks with that kind's
 * stored spec, `workOrder` must make that kind's order and `onComplete` gets that kind's result.
 * One definition may serve several kinds of the same types (`ingest` and `import_url`). The hooks
 * are properties, not methods, so that their parameters are checked strictly.
 */
export interface TaskKindDefinition<K extends TaskKind> {
  kind: K;
  maxAttempts: number;
  /** Without a report for this long, the attempt is considered lost. */
  heartbeatTimeoutS: number;
  /** Wall-clock limit of one attempt. */
  deadlineS: number;
  /** The kind-specific part of the work order. */
  workOrder: (task: Task<K>) => Promise<OrderSpec<K>>;
  /** Progress was recorded (e.g. mirror it on the media entry). */
  onProgress?: (task: Task<K>) => Promise<void>;
  /** The node succeeded; finish what the control plane owns (database rows, objects). */
  onComplete?: (task: Task<K>, result: TaskResult<K>) => Promise<void>;
  /**
   * The task has just moved to a final state (`completed`, `error` or `aborted`): rows to write
   * atomically with that move (domain events, the subject's final status). Runs inside the
   * transaction of the move and must use `trx` only; a throw undoes the rows it wrote.
   */
  onFinal?: (task: Task<K>, trx: Kysely<DB>) => Promise<void>;
  /** The task ended in `error` for good. */
  onFailed?: (task: Task<K>) => Promise<void>;
  /** The task was aborted; its worker is stopped. Remove partial outputs. */
  onAborted?: (task: Task<K>) => Promise<void>;
}

/** The registered definitions, each under its own kind. */
export type TaskKindRegistry = { [K in TaskKind]?: TaskKindDefinition<K> };
