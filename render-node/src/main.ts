#!/usr/bin/env node
import os from 'node:os';
import { handlers } from './worker/handlers/index.js';
import { runTask } from './worker/run-task.js';
import { readWorkerEnv, RenderNodeConfigError } from './config.js';
import { checkFfmpeg } from './ffmpeg/index.js';

/**
 * The render node program: runs one task and exits. Exit 0 when the control plane has the
 * outcome (completed, failed, interrupted, or the task was no longer ours), 1 otherwise.
 */
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  let env;
  try {
    env = readWorkerEnv(process.env, process.argv.slice(2), os.tmpdir());
  } catch (error) {
    if (error instanceof RenderNodeConfigError) {
      process.stderr.write(`render-node: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      stop.abort(new Error(signal));
    });
  }
  const outcome = await runTask({
    env,
    handlers,
    stop: stop.signal,
    log,
    preflight: async () => void (await checkFfmpeg()),
  });
  log(`task ${env.taskId}: ${outcome}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`render-node: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
