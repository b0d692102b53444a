import { Worker } from 'node:worker_threads';
import { cpuTasks, type CpuTaskName, type CpuTasks } from './cpu-tasks.js';

/**
 * Threads for the passes over large request bodies (checking JSON, cutting project data into
 * chunks). A 2 MB autosave costs some milliseconds of such work; on the event loop it would
 * hold up every other request meanwhile. Small inputs run inline: for them a thread's round
 * trip costs more than the work.
 */

/** Inputs from this size go to a thread. */
export const OFFLOAD_BYTES = 128 * 1024;

type Result<T extends CpuTaskName> = ReturnType<CpuTasks[T]>;

interface Pending {
  resolve(value: { result: unknown; bytes: Buffer }): void;
  reject(error: Error): void;
  /** The bytes, as the caller gave them (to answer when they were copied, not handed over). */
  bytes: Buffer;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  started: boolean;
}

export class CpuPool {
  private readonly threads: Thread[] = [];
  private nextId = 0;
  private closed = false;

  /** `size` 0 runs everything inline. */
  constructor(
    size: number,
    private readonly onThreadError: (error: Error) => void = () => {},
  ) {
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  /** Threads that have started and taken work. */
  get runningThreads(): number {
    return this.threads.filter((thread) => thread.started).length;
  }

  /**
   * Runs a task on `bytes`. A buffer that holds only these bytes is handed to the thread and
   * back rather than copied (megabytes, on every autosave): the caller must use the `bytes`
   * answered, as the ones it gave are emptied meanwhile.
   */
  async run<T extends CpuTaskName>(task: T, bytes: Buffer): Promise<{ result: Result<T>; bytes: Buffer }> {
    if (this.threads.length === 0 || bytes.length < OFFLOAD_BYTES || this.closed) {
      return { result: cpuTasks[task](bytes) as Result<T>, bytes };
    }
    // The thread with the fewest tasks in hand.
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    const buffer = bytes.buffer;
    const handedOver = buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve: resolve as Pending['resolve'], reject, bytes });
      const message = { id, task, buffer, offset: bytes.byteOffset, length: bytes.length, handedOver };
      thread.worker.postMessage(message, handedOver ? [buffer] : []);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }

  private spawn(): Thread {
    const worker = startWorker();
    worker.unref();
    const thread: Thread = { worker, pending: new Map(), started: false };
    worker.on('message', (message: { ready?: true; id: number; result?: unknown; error?: string; buffer?: ArrayBuffer }) => {
      if (message.ready) {
        thread.started = true;
        return;
      }
      const pending = thread.pending.get(message.id);
      if (!pending) return;
      thread.pending.delete(message.id);
      if (message.error !== undefined) pending.reject(new Error(`CPU pool task failed: ${message.error}`));
      else pending.resolve({ result: message.result, bytes: message.buffer ? Buffer.from(message.buffer) : pending.bytes });
    });
    // A thread that dies fails its tasks in hand and is replaced; one that could not even
    // start is dropped (the work then runs inline) rather than restarted in a loop.
    worker.on('exit', (code) => {
      for (const pending of thread.pending.values()) pending.reject(new Error(`a CPU pool thread exited (code ${code})`));
      thread.pending.clear();
      const index = this.threads.indexOf(thread);
      if (index < 0 || this.closed) return;
      if (thread.started) this.threads[index] = this.spawn();
      else this.threads.splice(index, 1);
    });
    worker.on('error', (error: unknown) => this.onThreadError(error instanceof Error ? error : new Error(String(error)))); // followed by 'exit'
    return thread;
  }
}

/**
 * The thread's script: the built one, or from the sources (tests, benchmarks) the TypeScript
 * one, loaded through tsx, registered in the thread (a worker does not inherit loader hooks).
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./cpu-worker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = new URL('./cpu-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); })`, {
    eval: true,
  });
}
