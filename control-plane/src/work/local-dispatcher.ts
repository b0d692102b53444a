import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import os from 'node:os';
import { WORKER_ENV, type Dispatcher, type DispatcherEvents, type DispatcherView, type WorkerLaunch } from './dispatcher.js';
import { forwardBoundedLines } from './bounded-lines.js';

/**
 * The embedded default: each task runs in a render-node child process, at most `workers` at a
 * time. A child that exits, for whatever reason, is reported as lost; the task state machine
 * ignores that when the node had already reported its end.
 */

export interface LocalDispatcherOptions {
  workers: number;
  /** The command starting a render node, e.g. ['node', '/app/render-node/dist/main.js']. */
  command: string[];
  /** Variables passed through to render nodes (PATH, FFMPEG_PATH, ...); nothing else leaks. */
  passEnv: Record<string, string>;
  /** After SIGTERM, how long before SIGKILL. */
  killGraceMs: number;
}

interface Worker {
  child: ChildProcess;
  attempt: number;
  startedAtMs: number;
  exited: Promise<void>;
  deadline: NodeJS.Timeout;
}

export class LocalDispatcher implements Dispatcher {
  readonly name = 'local' as const;
  private readonly workers = new Map<string, Worker>();

  constructor(
    private readonly options: LocalDispatcherOptions,
    private readonly events: DispatcherEvents,
    private readonly log: Logger,
  ) {}

  /** The process id of a task's render node, when one runs here. */
  pidOf(taskId: string): number | undefined {
    return this.workers.get(taskId)?.child.pid;
  }

  capacity(): number {
    return Math.max(0, this.options.workers - this.workers.size);
  }

  describe(): DispatcherView {
    const host = os.hostname();
    return {
      name: this.name,
      limit: this.options.workers,
      capacity: this.capacity(),
      workers: [...this.workers].map(([taskId, worker]) => ({
        taskId,
        attempt: worker.attempt,
        node: `pid ${worker.child.pid ?? '?'} on ${host}`,
        detail: null,
        startedAtMs: worker.startedAtMs,
      })),
    };
  }

  async launch(launch: WorkerLaunch): Promise<void> {
    const [program, ...args] = this.options.command;
    const child = spawn(program!, args, {
      env: {
        ...this.options.passEnv,
        [WORKER_ENV.taskId]: launch.taskId,
        [WORKER_ENV.internalUrl]: launch.internalUrl,
        [WORKER_ENV.token]: launch.token,
        [WORKER_ENV.attempt]: String(launch.attempt),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = this.log.child({ taskId: launch.taskId, attempt: launch.attempt, pid: child.pid });
    const dropped = (stream: string) => (lines: number) => log.warn({ stream }, `render node ${stream}: further output dropped after ${lines} lines`);
    forwardBoundedLines(child.stdout!, (line) => log.debug({ worker: line }, 'render node'), dropped('stdout'));
    forwardBoundedLines(child.stderr!, (line) => log.warn({ worker: line }, 'render node stderr'), dropped('stderr'));
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        clearTimeout(worker.deadline);
        if (this.workers.get(launch.taskId) === worker) this.workers.delete(launch.taskId);
        const reason = signal ? `render node killed by ${signal}` : `render node exited with code ${code}`;
        log.debug({ code, signal }, 'render node exited');
        this.events.workerLost(launch.taskId, launch.attempt, reason);
        resolve();
      });
    });
    const worker: Worker = {
      child,
      attempt: launch.attempt,
      startedAtMs: Date.now(),
      exited,
      deadline: setTimeout(() => {
        log.warn({ deadlineS: launch.deadlineS }, 'render node passed its deadline');
        void this.terminate(worker);
      }, launch.deadlineS * 1000),
    };
    worker.deadline.unref();
    this.workers.set(launch.taskId, worker);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => {
        this.workers.delete(launch.taskId);
        reject(error);
      });
    });
  }

  async stop(taskId: string): Promise<void> {
    const worker = this.workers.get(taskId);
    if (worker) await this.terminate(worker);
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => this.terminate(worker)));
  }

  /** SIGTERM (the node reports itself interrupted), then SIGKILL if it lingers. */
  private async terminate(worker: Worker): Promise<void> {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGTERM');
      const kill = setTimeout(() => worker.child.kill('SIGKILL'), this.options.killGraceMs);
      await worker.exited;
      clearTimeout(kill);
    }
  }
}
