import type { JobSpec } from '../scheduling/scheduler.js';
import type { TaskKind } from '@cutroom/render-node';

/**
 * How a claimed task gets a worker. The control plane claims a pending task, makes a per-task
 * token, and asks the dispatcher to launch a render node for it:
 *   - `local` (embedded default): a render-node child process;
 *   - `kubernetes`: a custom resource that the operator turns into a Job.
 * A render node is started with exactly the `WorkerEnv` variables below and nothing else.
 */

/** The kinds are named once, with their specs and results, in the render node's task-kinds.ts. */
export type { TaskKind };

export interface WorkerLaunch {
  taskId: string;
  kind: TaskKind;
  /** Attempt number, from 1; a relaunch after a lost worker has a new attempt and a new token. */
  attempt: number;
  /** The per-task token the render node authenticates to `/internal` with (never logged). */
  token: string;
  /** Base URL of the control plane's internal API as the worker reaches it. */
  internalUrl: string;
  /** The task asks for GPU encoding (NVENC). */
  gpu: boolean;
  /** Wall-clock limit for the whole attempt. */
  deadlineS: number;
}

/** The environment a render node is started with (the Kubernetes Job sets the same names). */
export const WORKER_ENV = {
  taskId: 'CUTROOM_TASK_ID',
  internalUrl: 'CUTROOM_INTERNAL_URL',
  token: 'CUTROOM_TASK_TOKEN',
  attempt: 'CUTROOM_TASK_ATTEMPT',
} as const;

export interface DispatcherEvents {
  /**
   * The worker for this attempt ended without a final report (crash, OOM kill, eviction, image
   * pull failure, deadline): the attempt fails and the task is retried or failed.
   */
  workerLost(taskId: string, attempt: number, reason: string): void;
}

/** One worker as its dispatcher sees it, for operators. */
export interface WorkerView {
  taskId: string;
  attempt: number;
  /** Where it runs: `pid 1234 on host`, or the Kubernetes node and Job. */
  node: string;
  /** The dispatcher's own word on it (a resource's phase and message). */
  detail: string | null;
  startedAtMs: number | null;
}

/** What a dispatcher holds now: its capacity and its workers (this replica's only). */
export interface DispatcherView {
  name: 'local' | 'kubernetes';
  /** Workers it may run at once. */
  limit: number;
  /** How many more it can launch now. */
  capacity: number;
  workers: WorkerView[];
}

export interface Dispatcher {
  readonly name: 'local' | 'kubernetes';
  /** Its workers and capacity now, for the operations view. */
  describe(): DispatcherView;
  /** How many more workers can be launched now. */
  capacity(): number;
  launch(launch: WorkerLaunch): Promise<void>;
  /** Stops the worker of a task (abort); a no-op when there is none. */
  stop(taskId: string): Promise<void>;
  close(): Promise<void>;
  /** A job to run on the scheduler: removing what finished workers left behind (Kubernetes: ended task resources). */
  gcJob?(): JobSpec;
}
