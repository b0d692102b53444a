import { parentPort } from 'node:worker_threads';
import { cpuTasks, type CpuTaskName } from './cpu-tasks.js';

interface Task {
  id: number;
  task: CpuTaskName;
  buffer: ArrayBuffer;
  offset: number;
  length: number;
  /** The buffer was handed over rather than copied: hand it back. */
  handedOver: boolean;
}

/** A CPU pool thread: runs one task at a time on the bytes it is sent. */
parentPort!.on('message', (message: Task) => {
  const back = message.handedOver ? [message.buffer] : [];
  try {
    const result = cpuTasks[message.task](new Uint8Array(message.buffer, message.offset, message.length));
    parentPort!.postMessage({ id: message.id, result, buffer: message.handedOver ? message.buffer : undefined }, back);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    parentPort!.postMessage({ id: message.id, error: reason, buffer: message.handedOver ? message.buffer : undefined }, back);
  }
});
parentPort!.postMessage({ ready: true });
