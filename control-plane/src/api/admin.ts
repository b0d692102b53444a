import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import type { FarmAdmin } from '../services/operations/farm-admin.js';

/** The operators' API behind ADMIN_TOKEN: what the operations view (`/console/ops`) shows and does. */

const TASK_STATES = ['pending', 'dispatched', 'running', 'completing', 'completed', 'error', 'aborted'] as const;
const DELIVERIES = ['pending', 'delivered', 'failed', 'skipped'] as const;

/** A comma-separated list of enumerated values; an unknown one is a 400 naming it. */
function csvOf<T extends string>(values: readonly T[], what: string) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return undefined;
      const items = value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      // Only commas (",", "%2C"): as if left out, never an empty filter (an empty SQL list).
      if (items.length === 0) return undefined;
      const unknown = items.filter((item) => !(values as readonly string[]).includes(item));
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `unknown ${what} ${unknown.join(', ')} (one of ${values.join(', ')})` });
        return z.NEVER;
      }
      return items as T[];
    });
}

const countParam = (fallback: number) =>
  z.coerce.number().int().min(1).max(500).default(fallback).describe(`Entries wanted (default ${fallback}, at most 500)`);

const taskErrorSchema = z.object({ type: z.string(), code: z.string(), message: z.string() });
const adminTaskSchema = z.object({
  id: z.string(),
  kind: z.string(),
  state: z.enum(TASK_STATES),
  stage: z.string().nullable(),
  progress: z.number().describe('Percent'),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  ownerId: z.string().nullable(),
  developerId: z.string().nullable(),
  gpu: z.boolean(),
  claimedBy: z.string().nullable().describe('The control-plane replica that claimed the current attempt'),
  node: z.string().nullable().describe("Where the current attempt runs, when the answering replica's dispatcher knows it"),
  error: taskErrorSchema.nullable().describe('The last error (kept while a retry waits)'),
  createTime: z.number(),
  startTime: z.number().nullable(),
  finishTime: z.number().nullable(),
  heartbeatTime: z.number().nullable(),
  notBefore: z.number().nullable(),
});
const taskWithLogSchema = adminTaskSchema.extend({ log: z.array(z.string()).describe('The newest 500 lines') });
const failureSchema = adminTaskSchema.extend({ logTail: z.array(z.string()) });
const dispatcherSchema = z.object({
  name: z.enum(['local', 'kubernetes']),
  limit: z.number().int(),
  capacity: z.number().int(),
  workers: z.array(
    z.object({
      taskId: z.string(),
      attempt: z.number().int(),
      node: z.string(),
      detail: z.string().nullable(),
      startedAtMs: z.number().nullable(),
    }),
  ),
});
const outboxEntrySchema = z.object({
  id: z.string(),
  userId: z.string(),
  type: z.string(),
  delivery: z.enum(DELIVERIES),
  attempts: z.number().int(),
  nextAttemptTime: z.number(),
  lastError: z.string().nullable(),
  createTime: z.number(),
  deliveredTime: z.number().nullable(),
  callbackUrl: z.string().nullable(),
});
const idParam = z.object({ id: z.string().min(1).max(200) });

export function mountAdmin(api: ApiRouter, admin: FarmAdmin): void {
  api.route({
    method: 'get',
    path: '/api/admin/queue',
    summary: 'Tasks by kind and state',
    description: 'Every unfinished task, and those that finished in the last day.',
    auth: 'admin',
    responses: {
      200: {
        description: 'Counts',
        schema: z.object({
          finishedWithinS: z.number().int(),
          counts: z.array(z.object({ kind: z.string(), state: z.enum(TASK_STATES), count: z.number().int() })),
        }),
      },
    },
    handler: () => admin.queue(),
  });

  api.route({
    method: 'get',
    path: '/api/admin/tasks',
    summary: 'Tasks, newest first',
    auth: 'admin',
    query: z.object({
      state: csvOf(TASK_STATES, 'state').describe('Comma-separated states'),
      kind: z.string().optional().describe('Comma-separated kinds'),
      start_number: z.coerce.number().int().min(0).default(0),
      count: countParam(50),
    }),
    responses: { 200: { description: 'A page', schema: z.object({ total_count: z.number().int(), entries: z.array(adminTaskSchema) }) } },
    handler: ({ query }) =>
      admin.listTasks({
        states: query.state,
        kinds: query.kind
          ?.split(',')
          .map((k) => k.trim())
          .filter(Boolean),
        offset: query.start_number,
        limit: query.count,
      }),
  });

  api.route({
    method: 'get',
    path: '/api/admin/tasks/:id',
    summary: 'One task with its log',
    auth: 'admin',
    params: idParam,
    responses: { 200: { description: 'The task', schema: taskWithLogSchema } },
    handler: ({ params }) => admin.task(params.id),
  });

  api.route({
    method: 'post',
    path: '/api/admin/tasks/:id/abort',
    summary: 'Abort a task, whoever owns it',
    description: "As its owner's `DELETE` would: the worker is stopped and partial outputs are removed. A finished task is answered as it is.",
    auth: 'admin',
    params: idParam,
    responses: { 200: { description: 'The task now', schema: taskWithLogSchema } },
    handler: ({ params }) => admin.abort(params.id),
  });

  api.route({
    method: 'post',
    path: '/api/admin/tasks/:id/retry',
    summary: 'Run a failed task again',
    description: 'A task in `error` goes back to `pending` with one more attempt and its error cleared; any other state is a 409.',
    auth: 'admin',
    params: idParam,
    responses: { 200: { description: 'The task now', schema: taskWithLogSchema } },
    handler: ({ params }) => admin.retry(params.id),
  });

  api.route({
    method: 'get',
    path: '/api/admin/failures',
    summary: 'Tasks that failed for good, most recent first, with the end of their log',
    auth: 'admin',
    query: z.object({ count: countParam(20) }),
    responses: { 200: { description: 'Failures', schema: z.object({ entries: z.array(failureSchema) }) } },
    handler: ({ query }) => admin.failures(query.count),
  });

  api.route({
    method: 'get',
    path: '/api/admin/dispatcher',
    summary: "The answering replica's dispatcher: capacity and workers",
    description: 'Local render-node processes, or the task resources the Kubernetes dispatcher watches (with their Job and node).',
    auth: 'admin',
    responses: { 200: { description: 'The dispatcher', schema: dispatcherSchema } },
    handler: async () => admin.dispatcherView(),
  });

  api.route({
    method: 'get',
    path: '/api/admin/callbacks',
    summary: 'The callback outbox: counts by delivery state and the newest events',
    auth: 'admin',
    query: z.object({
      delivery: csvOf(DELIVERIES, 'delivery').describe('Comma-separated delivery states (default pending,failed)'),
      count: countParam(50),
    }),
    responses: {
      200: {
        description: 'The outbox',
        schema: z.object({
          counts: z.object({ pending: z.number().int(), delivered: z.number().int(), failed: z.number().int(), skipped: z.number().int() }),
          entries: z.array(outboxEntrySchema),
        }),
      },
    },
    handler: ({ query }) => admin.callbacks(query.delivery ?? ['pending', 'failed'], query.count),
  });

  api.route({
    method: 'post',
    path: '/api/admin/callbacks/:id/redeliver',
    summary: 'Send a failed (or skipped) callback again',
    description:
      "The event goes back to pending, due now, with a fresh attempt budget; it is delivered in order with the user's other events. Any other state is a 409.",
    auth: 'admin',
    params: idParam,
    responses: { 200: { description: 'The event now', schema: outboxEntrySchema } },
    handler: ({ params }) => admin.redeliver(params.id),
  });
}
