import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { messageInError, messageInStatus } from '../http/errors.js';
import type { EditingTasks } from '../services/rendering/editing-tasks.js';

const taskError = z.object({
  type: z.enum(['engine_error', 'download_error', 'upload_error']).or(z.string()),
  code: z.string(),
  message: z.string(),
});
/** Quotes around the id are accepted, as for the media status (`?id="..."`). */
const idQuery = z.object({
  id: z
    .string()
    .min(1)
    .max(202)
    .transform((id) => id.replace(/^"(.*)"$/, '$1')),
});

/** `/api/task/editing`: renders of XTL documents (see docs/api.md, "Editing tasks"). */
export function mountEditingTasks(api: ApiRouter, editing: EditingTasks): void {
  api.route({
    method: 'post',
    path: '/api/task/editing',
    summary: 'Start a render of an XTL document',
    description:
      'Every source is resolved and the timeline checked before anything is made: a document that does not parse, a source the user cannot use, or a timeline its sources cannot fill is a 400 naming the element, attribute and line, and creates nothing. ' +
      "Then one output entry (type `output`, status `render`) per group is added to the library, with the task. `fileId` is the first group's entry. " +
      "The render_start and render_complete callbacks name a project: `projectId` when given (one of the user's projects, else 404), " +
      'else the document\'s `<timelines projectId>`, else the project the user saved last; `""` when the user has none.',
    auth: 'user',
    body: z.object({
      xtl_task: z
        .string()
        .min(1)
        .max(16 * 2 ** 20)
        .describe('The XTL document'),
      projectId: z
        .string()
        .max(200)
        .nullable()
        .optional()
        .describe('The project rendered (extension); absent, null or "": from the document, else the project saved last'),
    }),
    errorShape: messageInError({ taskId: '', fileId: '' }),
    errors: {
      400: 'The XTL does not parse, a source cannot be used, or the timeline cannot be filled (the message names element, attribute and line); `download_error` when a developer file cannot be looked up',
      404: 'No user for the token, or no such project',
      507: 'The user is already over MAX_USER_BYTES',
    },
    responses: {
      200: {
        description: 'The task and its output entry',
        schema: z.object({ taskId: z.string(), fileId: z.string(), error: z.literal('').describe('"" on success') }),
      },
    },
    handler: async ({ auth, body }) => ({ ...(await editing.create({ id: auth.id, developerId: auth.developerId }, body)), error: '' }),
  });

  api.route({
    method: 'get',
    path: '/api/task/editing',
    summary: "An editing task's status, progress, error and output links",
    description:
      '`status`: downloading (developer media being fetched), running, uploading (outputs being stored or sent to the developer bucket), completed, aborted, error. `progress`: percent across all stages. `outputUrls`: one per group once completed.',
    auth: 'user',
    query: idQuery,
    responses: {
      200: {
        description: 'The status',
        schema: z.object({
          id: z.string(),
          progress: z.number(),
          status: z.enum(['downloading', 'running', 'uploading', 'completed', 'aborted', 'error']),
          error: taskError.nullable(),
          outputUrls: z.array(z.string()),
        }),
      },
    },
    handler: ({ auth, query }) => editing.status(auth.id, query.id),
  });

  api.route({
    method: 'delete',
    path: '/api/task/editing',
    summary: 'Stop an editing task',
    description: 'The render node is stopped within seconds; the output entries and whatever was stored of them are removed. A finished task is left as it is.',
    auth: 'user',
    query: idQuery,
    errorShape: messageInStatus(),
    responses: { 200: { description: 'Stopped', schema: z.object({ status: z.literal('') }) } },
    handler: ({ auth, query }) => editing.abort(auth.id, query.id),
  });
}
