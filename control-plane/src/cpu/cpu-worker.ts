import { parentPort } from 'node:worker_threads';
import { cpuTasks, type CpuTaskName } from './cpu-tasks.js';

/** A CPU pool thread: runs one task at a time on the bytes it is sent. */
parentPort!.on('message', (message: { id: number; task: CpuTaskName; bytes: Uint8Array }) => {
  try {
    parentPort!.postMessage({ id: message.id, result: cpuTasks[message.task](message.bytes) });
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
parentPort!.postMessage({ ready: true });
