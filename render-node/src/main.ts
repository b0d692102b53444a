#!/usr/bin/env node
import os from 'node:os';
import { createInterface } from 'node:readline';
import { handlers } from './worker/handlers/index.js';
import { runTask } from './worker/run-task.js';
import { readWorkerEnv, RenderNodeConfigError, WAIT_FLAG } from './config.js';
import { checkFfmpegRemembered } from './ffmpeg/index.js';

/**
 * The render node program: runs one task and exits. Exit 0 when the control plane has the
 * outcome (completed, failed, interrupted, or the task was no longer ours), 1 otherwise.
 *
 * With `--wait` it starts warm: it loads, checks ffmpeg, then waits for its task on stdin (one
 * JSON line holding the variables a node is otherwise started with), so that a task given to
 * it starts at once. Stdin closing before a task came ends it quietly.
 */
const log = (line: string) => process.stdout.write(`${line}\n`);

/** One line from stdin: the task's variables (the token never shows in `ps`). */
async function assignment(): Promise<Record<string, string> | undefined> {
  const lines = createInterface({ input: process.stdin });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const parsed = JSON.parse(line) as unknown;
      if (typeof parsed !== 'object' || parsed === null) throw new Error('the task assignment is not a JSON object');
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    }
    return undefined;
  } finally {
    lines.close();
  }
}

async function main(): Promise<number> {
  const waiting = process.argv.includes(WAIT_FLAG);
  // Warm: ffmpeg is checked before any task; cold: while the work order is fetched.
  let check: Promise<unknown> | undefined = waiting ? checkFfmpegRemembered() : undefined;
  check?.catch(() => undefined);
  let assigned = false;
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      stop.abort(new Error(signal));
      // A node still waiting has nothing to report.
      if (waiting && !assigned) process.exit(0);
    });
  }
  let vars: Record<string, string | undefined> = process.env;
  if (waiting) {
    const given = await assignment();
    if (!given) return 0;
    assigned = true;
    vars = { ...process.env, ...given };
  }
  const assignedAtMs = Date.now();
  let env;
  try {
    env = readWorkerEnv(vars, process.argv.slice(2), os.tmpdir());
  } catch (error) {
    if (error instanceof RenderNodeConfigError) {
      process.stderr.write(`render-node: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const outcome = await runTask({
    env,
    handlers,
    stop: stop.signal,
    log,
    assignedAtMs,
    preflight: async () => void (await (check ??= checkFfmpegRemembered())),
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
