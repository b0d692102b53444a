import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import os from 'node:os';
import { WAIT_FLAG } from '@cutroom/render-node';
import { WORKER_ENV, type Dispatcher, type DispatcherEvents, type DispatcherView, type WorkerLaunch } from './dispatcher.js';
import { forwardBoundedLines } from './bounded-lines.js';

/**
 * The embedded default: each task runs in a render-node child process, at most `workers` at a
 * time. A child that exits, for whatever reason, is reported as lost; the task state machine
 * ignores that when the node had already reported its end.
 *
 * `warm` render nodes are kept started ahead of work (`--wait`): loaded, ffmpeg checked, waiting
 * on stdin for a task's variables. A task goes to one of them when there is one, so it does not
 * wait for a process to start; the pool is refilled once no task runs (see `refill`). Each node
 * still runs one task and exits, as a cold one does.
 */

export interface LocalDispatcherOptions {
  workers: number;
  /** The command starting a render node, e.g. ['node', '/app/render-node/dist/main.js']. */
  command: string[];
  /** Variables passed through to render nodes (PATH, FFMPEG_PATH, ...); nothing else leaks. */
  passEnv: Record<string, string>;
  /** After SIGTERM, how long before SIGKILL. */
  killGraceMs: number;
  /** Render nodes kept started and waiting for a task (0: each starts when its task comes). */
  warm?: number;
}

interface Worker {
  child: ChildProcess;
  attempt: number;
  startedAtMs: number;
  exited: Promise<void>;
  deadline: NodeJS.Timeout;
}

/** A started render node: its process, where its output goes, how it ended. */
interface Node {
  child: ChildProcess;
  startedAtMs: number;
  /** Where its output lines are logged (changes when a warm node is given a task). */
  log: Logger;
  /** How it ended; `failedToStart` when there never was a process (launch reports that). */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; failedToStart?: boolean }>;
  spawned: Promise<void>;
}

/** A warm node that ends this soon after its start is broken: the next one waits a little. */
const WARM_FAILURE_MS = 5000;

export class LocalDispatcher implements Dispatcher {
  readonly name = 'local' as const;
  private readonly workers = new Map<string, Worker>();
  private readonly spares = new Set<Node>();
  private refillTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly options: LocalDispatcherOptions,
    private readonly events: DispatcherEvents,
    private readonly log: Logger,
  ) {
    this.refill();
  }

  /** The process id of a task's render node, when one runs here. */
  pidOf(taskId: string): number | undefined {
    return this.workers.get(taskId)?.child.pid;
  }

  /** Warm render nodes waiting for a task now. */
  warmCount(): number {
    return this.spares.size;
  }

  /** Their process ids. */
  warmPids(): number[] {
    return [...this.spares].flatMap((node) => (node.child.pid === undefined ? [] : [node.child.pid]));
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

  private start(extraArgs: string[], env: Record<string, string>, log: Logger): Node {
    const [program, ...args] = this.options.command;
    const child = spawn(program!, [...args, ...extraArgs], {
      env: { ...this.options.passEnv, ...env },
      stdio: [extraArgs.length > 0 ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const node: Node = {
      child,
      startedAtMs: Date.now(),
      log,
      exit: new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        child.once('error', () => {
          if (child.pid === undefined) resolve({ code: null, signal: null, failedToStart: true });
        });
      }),
      spawned: new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      }),
    };
    node.spawned.catch(() => undefined);
    // A node that is gone before it read its task must not take the control plane with it.
    child.stdin?.on('error', () => undefined);
    const dropped = (stream: string) => (lines: number) => node.log.warn({ stream }, `render node ${stream}: further output dropped after ${lines} lines`);
    forwardBoundedLines(child.stdout!, (line) => node.log.debug({ worker: line }, 'render node'), dropped('stdout'));
    forwardBoundedLines(child.stderr!, (line) => node.log.warn({ worker: line }, 'render node stderr'), dropped('stderr'));
    return node;
  }

  /**
   * Starts warm nodes until `warm` of them wait (not after close), only while no task runs here:
   * a render keeps every core busy, and a node loading beside it took its CPU (a 3-cut render
   * task, timed in turns with and without: 2.69 s against 2.49 s, median of 8 each). The pool is
   * refilled when the last running task ends.
   */
  private refill(): void {
    if (this.closed || this.refillTimer || this.workers.size > 0) return;
    while (this.spares.size < (this.options.warm ?? 0)) {
      const node = this.start([WAIT_FLAG], {}, this.log.child({ warm: true }));
      node.log = node.log.child({ pid: node.child.pid });
      this.spares.add(node);
      node.spawned.catch((error: unknown) => node.log.warn({ err: error }, 'a warm render node could not start'));
      void node.exit.then(({ code, signal }) => {
        if (!this.spares.delete(node)) return;
        // Gone while waiting: started again, at once unless it did not live long.
        node.log.warn({ code, signal }, 'a warm render node exited before it was given a task');
        if (Date.now() - node.startedAtMs < WARM_FAILURE_MS) {
          this.refillTimer = setTimeout(() => {
            this.refillTimer = undefined;
            this.refill();
          }, WARM_FAILURE_MS);
          this.refillTimer.unref();
        } else {
          this.refill();
        }
      });
    }
  }

  async launch(launch: WorkerLaunch): Promise<void> {
    const vars = {
      [WORKER_ENV.taskId]: launch.taskId,
      [WORKER_ENV.internalUrl]: launch.internalUrl,
      [WORKER_ENV.token]: launch.token,
      [WORKER_ENV.attempt]: String(launch.attempt),
    };
    const log = this.log.child({ taskId: launch.taskId, attempt: launch.attempt });
    const spare = [...this.spares].find((n) => n.child.exitCode === null && n.child.signalCode === null && n.child.pid !== undefined);
    let node: Node;
    if (spare) {
      this.spares.delete(spare);
      node = spare;
      node.log = log.child({ pid: node.child.pid });
      // The task's variables on stdin, then end of input: the node reads one line and goes.
      node.child.stdin!.end(`${JSON.stringify(vars)}\n`);
    } else {
      node = this.start([], vars, log);
      node.log = log.child({ pid: node.child.pid });
    }
    const { child } = node;
    const worker: Worker = {
      child,
      attempt: launch.attempt,
      startedAtMs: Date.now(),
      exited: node.exit.then(({ code, signal, failedToStart }) => {
        clearTimeout(worker.deadline);
        if (this.workers.get(launch.taskId) === worker) this.workers.delete(launch.taskId);
        this.refill();
        if (failedToStart) return;
        const reason = signal ? `render node killed by ${signal}` : `render node exited with code ${code}`;
        node.log.debug({ code, signal }, 'render node exited');
        this.events.workerLost(launch.taskId, launch.attempt, reason);
      }),
      deadline: setTimeout(() => {
        node.log.warn({ deadlineS: launch.deadlineS }, 'render node passed its deadline');
        void this.terminate(worker);
      }, launch.deadlineS * 1000),
    };
    worker.deadline.unref();
    this.workers.set(launch.taskId, worker);
    try {
      await node.spawned;
    } catch (error) {
      this.workers.delete(launch.taskId);
      clearTimeout(worker.deadline);
      throw error;
    }
  }

  async stop(taskId: string): Promise<void> {
    const worker = this.workers.get(taskId);
    if (worker) await this.terminate(worker);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    const spares = [...this.spares];
    this.spares.clear();
    // Waiting nodes have nothing to report: closing their input ends them.
    for (const node of spares) {
      node.child.stdin?.end();
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGTERM');
    }
    await Promise.all([...this.workers.values()].map((worker) => this.terminate(worker)));
    await Promise.all(spares.map((node) => node.exit));
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
