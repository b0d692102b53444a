import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { INTERRUPTED_CODE, type TaskErrorReport, type WorkOrder } from '../protocol.js';
import type { TaskKind, TaskResult } from '../task-kinds.js';
import { InternalClient, TaskRevoked } from './internal-client.js';
import { TaskFailure, type TaskContext, type TaskHandlers } from './task-handler.js';
import type { WorkerEnv } from '../config.js';
import { FfmpegError } from '../ffmpeg/errors.js';

/**
 * One task, start to end: fetch the work order, run the kind's handler with a heartbeat going,
 * then report the result or the failure. The outcome says how the process should exit.
 */

export type Outcome = 'completed' | 'failed' | 'interrupted' | 'revoked';

export interface RunTaskOptions {
  env: WorkerEnv;
  handlers: TaskHandlers;
  /** Aborted when the node must stop (SIGTERM): reported as an interruption, retried elsewhere. */
  stop: AbortSignal;
  log: (line: string) => void;
  retryForMs?: number;
  /** Checks the node can work at all (ffmpeg present); a failure is reported as the task's. */
  preflight?: () => Promise<void>;
  /** When the node was given the task (ms since the epoch): a warm node waited for it. */
  assignedAtMs?: number;
}

const PROGRESS_MIN_INTERVAL_MS = 500;

export async function runTask(options: RunTaskOptions): Promise<Outcome> {
  const { env, stop, log } = options;
  const assignedAtMs = options.assignedAtMs ?? Date.now();
  const client = new InternalClient({ baseUrl: env.internalUrl, taskId: env.taskId, token: env.token, retryForMs: options.retryForMs });
  // The check of ffmpeg runs while the work order is on its way.
  const preflight = (options.preflight?.() ?? Promise.resolve()).then(
    () => undefined,
    (error: unknown) => error ?? new Error('preflight failed'),
  );
  let order;
  try {
    order = await client.workOrder();
  } catch (error) {
    if (error instanceof TaskRevoked) return 'revoked';
    throw error;
  }
  const workOrderAtMs = Date.now();
  // A control plane newer than this node may send a kind it has no handler for.
  const known = Object.hasOwn(options.handlers, order.kind);
  try {
    const failed = await preflight;
    if (failed !== undefined) throw failed;
  } catch (error) {
    const message = (error as Error).message;
    log(`preflight failed: ${message}`);
    await client.fail({ error: engineError('node_unusable', message), retryable: true }).catch(() => undefined);
    return 'failed';
  }
  if (!known) {
    await client.fail({ error: engineError('unknown_kind', `this render node has no handler for ${order.kind}`), retryable: false });
    return 'failed';
  }

  const work = new AbortController();
  let revoked = false;
  const revoke = (error: unknown) => {
    if (error instanceof TaskRevoked && !revoked) {
      revoked = true;
      log(`task revoked (${error.status}); stopping`);
      work.abort(error);
    }
  };
  stop.addEventListener('abort', () => work.abort(stop.reason), { once: true });

  // Progress is throttled; a heartbeat re-sends the latest even when it did not move.
  let latest = { progress: 0, stage: undefined as string | undefined };
  let lastSentMs = 0;
  let sending: Promise<void> = Promise.resolve();
  const send = () => {
    lastSentMs = Date.now();
    const report = { progress: latest.progress, ...(latest.stage ? { stage: latest.stage } : {}) };
    sending = sending.then(() => client.progress(report)).catch(revoke);
  };
  const heartbeat = setInterval(send, Math.max(1, order.heartbeatIntervalS) * 1000);
  heartbeat.unref();

  const pendingLines: string[] = [];
  const flushLog = () => {
    if (pendingLines.length === 0) return;
    const lines = pendingLines.splice(0, 200);
    sending = sending.then(() => client.log({ lines })).catch(revoke);
  };

  const scratchDir = await fs.mkdtemp(path.join(env.scratchDir, `cutroom-${order.id.slice(0, 8)}-`));
  const context: Omit<TaskContext, 'order'> = {
    signal: work.signal,
    scratchDir,
    startedAtMs: Math.round(performance.timeOrigin),
    assignedAtMs,
    workOrderAtMs,
    progress(fraction, stage) {
      // A new stage goes out at once (the editor shows it); progress within one is throttled.
      const newStage = stage !== undefined && stage !== latest.stage;
      latest = { progress: Math.min(1, Math.max(0, fraction)), stage: stage ?? latest.stage };
      if (newStage || Date.now() - lastSentMs >= PROGRESS_MIN_INTERVAL_MS) send();
    },
    log(line) {
      log(line);
      pendingLines.push(line);
      if (pendingLines.length >= 50) flushLog();
    },
  };

  try {
    send();
    const result = await handle(options.handlers, order, context);
    if (work.signal.aborted) throw work.signal.reason;
    flushLog();
    await sending;
    await client.complete({ result });
    return 'completed';
  } catch (error) {
    // What ffmpeg last said goes into the task's log, where operators read failures.
    const stderrTail = ffmpegStderrTail(error);
    if (stderrTail.length > 0 && !revoked && !stop.aborted) {
      pendingLines.push('ffmpeg stderr (last lines):', ...stderrTail.map((line) => `  ${line}`));
    }
    flushLog();
    await sending;
    if (revoked) return 'revoked';
    if (stop.aborted) {
      await client.fail({ error: engineError(INTERRUPTED_CODE, 'the render node was stopped before it finished'), retryable: true }).catch(revoke);
      return 'interrupted';
    }
    const failure =
      error instanceof TaskFailure
        ? { error: error.report, retryable: error.retryable }
        : { error: engineError('internal', (error as Error)?.message ?? String(error)), retryable: true };
    log(`task failed: ${failure.error.code}: ${failure.error.message}`);
    await client.fail(failure).catch(revoke);
    return revoked ? 'revoked' : 'failed';
  } finally {
    clearInterval(heartbeat);
    await fs.rm(scratchDir, { recursive: true, force: true });
  }
}

/** Runs the handler of the order's kind, which answers that kind's result. */
function handle<K extends TaskKind>(handlers: TaskHandlers, order: WorkOrder<K>, context: Omit<TaskContext, 'order'>): Promise<TaskResult<K>> {
  return handlers[order.kind]({ ...context, order });
}

const STDERR_LINES_LOGGED = 15;

/** The end of ffmpeg's stderr, from the first FfmpegError in an error's chain of causes. */
function ffmpegStderrTail(error: unknown): string[] {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof FfmpegError) {
      return cause.stderrTail
        .split('\n')
        .map((line) => line.trimEnd())
        .filter(Boolean)
        .slice(-STDERR_LINES_LOGGED);
    }
  }
  return [];
}

function engineError(code: string, message: string): TaskErrorReport {
  return { type: 'engine_error', code, message };
}
