import { z } from 'zod';
import type { Request } from 'express';
import type { ApiRouter } from '../http/route.js';
import { unauthorized } from '../http/errors.js';
import type { WorkQueue } from '../work/work-queue.js';

/**
 * `/internal`: the render nodes' API, authenticated by the per-task token. It is separate from
 * the public API so an ingress can refuse it from outside (the Helm chart's does).
 */

const idParam = z.object({ id: z.string().min(1).max(200) });
const ok = { 200: { description: 'Recorded', schema: z.object({}) } };
const taskError = z.object({
  type: z.enum(['engine_error', 'download_error', 'upload_error']),
  code: z.string().min(1).max(100),
  message: z.string().max(10_000),
});

/** The per-task token a render node sends (`Authorization: Bearer <token>`); checked before the body is. */
export function taskToken(req: Request): string {
  const header = req.get('authorization');
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match) throw unauthorized('Authorization: Bearer <task token> is required');
  return match[1]!;
}

export function mountInternal(api: ApiRouter, work: WorkQueue): void {
  api.route({
    method: 'get',
    path: '/internal/tasks/:id',
    summary: "A render node fetches its task's work order",
    auth: 'task',
    params: idParam,
    responses: { 200: { description: 'The work order', schema: z.object({}).passthrough() } },
    handler: ({ auth, params }) => work.openWorkOrder(params.id, auth.token),
  });

  api.route({
    method: 'post',
    path: '/internal/tasks/:id/progress',
    summary: 'Progress, which is also the heartbeat',
    auth: 'task',
    params: idParam,
    body: z.object({ progress: z.number().min(0).max(1), stage: z.string().max(50).optional() }),
    responses: ok,
    handler: async ({ auth, params, body }) => {
      await work.reportProgress(params.id, auth.token, body);
      return {};
    },
  });

  api.route({
    method: 'post',
    path: '/internal/tasks/:id/log',
    summary: 'Log lines for the task (strategy decisions, warnings)',
    auth: 'task',
    params: idParam,
    body: z.object({ lines: z.array(z.string().max(2000)).max(200) }),
    responses: ok,
    handler: async ({ auth, params, body }) => {
      await work.reportLog(params.id, auth.token, body);
      return {};
    },
  });

  api.route({
    method: 'post',
    path: '/internal/tasks/:id/complete',
    summary: 'The node finished; its result',
    auth: 'task',
    params: idParam,
    body: z.object({ result: z.record(z.string(), z.unknown()) }),
    responses: ok,
    handler: async ({ auth, params, body }) => {
      await work.reportComplete(params.id, auth.token, body);
      return {};
    },
  });

  api.route({
    method: 'post',
    path: '/internal/tasks/:id/fail',
    summary: 'The attempt failed',
    auth: 'task',
    params: idParam,
    body: z.object({ error: taskError, retryable: z.boolean() }),
    responses: ok,
    handler: async ({ auth, params, body }) => {
      await work.reportFail(params.id, auth.token, body);
      return {};
    },
  });
}
