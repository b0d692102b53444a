import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { RawJson, sendJson } from '../project-data/index.js';
import type { ActionHistoryService } from '../services/projects/action-history.js';
import { anyJson, objectId, storedText, unixMs } from './project-schemas.js';

const actionId = z
  .union([storedText(200).min(1), z.number().int()])
  .transform((id) => String(id))
  .describe("The client's id for the action; kept when no action of the project has it, else a new id is made.");

const postBody = z
  .object({
    id: actionId.optional(),
    project: objectId.optional().describe('The project the action belongs to.'),
    projectId: objectId.optional().describe('Accepted in place of `project`.'),
    name: storedText(1000).optional(),
    data: anyJson.optional(),
    createTime: unixMs.optional(),
  })
  .refine((body) => body.project !== undefined || body.projectId !== undefined, {
    message: 'project is required',
    path: ['project'],
  });

const patchBody = z.object({
  canceled: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
    .describe('true: the action is undone; false: it is active (redo). The strings "true" and "false" are taken too, as the editor API writes them.'),
  modifTime: unixMs.optional(),
});

const actionObject = z
  .object({
    id: z.string(),
    name: z.string(),
    data: anyJson,
    canceled: z.boolean(),
    createTime: z.number(),
    modifTime: z.number(),
  })
  .meta({ id: 'Action', description: "The editor API's action object" });

export function mountActions(api: ApiRouter, history: ActionHistoryService): void {
  api.route({
    method: 'post',
    path: '/api/actions',
    summary: "Append an action to a project's history",
    description:
      "First removes the project's canceled actions (the redo branch); keeps at most ACTION_HISTORY_DEPTH actions, dropping the oldest. " +
      "Concurrent posts to one project are given one order. The client's `id` is kept when no action of the project has it (canceled ones included); " +
      'a duplicate gets a new id. The answer is always the id that was used: PATCH with it.',
    auth: 'user',
    body: postBody,
    verbatimMembers: ['data'],
    responses: { 200: { description: "The action's id", schema: z.object({ id: z.string() }) } },
    handler: ({ auth, body, verbatim }) =>
      history.post(auth.id, {
        projectId: (body.project ?? body.projectId)!,
        id: body.id,
        name: body.name,
        dataJson: verbatim.get('data')?.bytes.toString('utf8'),
        createTimeMs: body.createTime,
      }),
  });

  api.route({
    method: 'patch',
    path: '/api/actions/:id',
    summary: 'Undo or redo an action',
    description:
      'When client ids repeat across projects, name the project with `?project=`; an id found in several projects without it is a 400 (`conflict`) that changes nothing.',
    auth: 'user',
    params: z.object({ id: objectId }),
    query: z.object({ project: objectId.optional().describe('The project of the action.') }),
    body: patchBody,
    responses: { 200: { description: 'Changed', schema: z.object({}) } },
    errors: { 400: 'A bad body, or an id found in several projects without ?project= (`type: "conflict"`)' },
    handler: async ({ auth, params, query, body }) => {
      await history.setCanceled(auth.id, params.id, {
        canceled: body.canceled,
        modifTimeMs: body.modifTime,
        projectId: query.project,
      });
      return {};
    },
  });

  api.route({
    method: 'get',
    path: '/api/actions',
    summary: "A project's actions, in the order they were posted",
    auth: 'user',
    query: z.object({ project: objectId.describe('The project id.') }),
    responses: { 200: { description: 'The actions', schema: z.object({ entries: z.array(actionObject) }) } },
    handler: async ({ res, auth, query }) => {
      const actions = await history.list(auth.id, query.project);
      sendJson(res, {
        entries: actions.map((action) => ({
          id: action.id,
          name: action.name,
          data: new RawJson(action.dataJson),
          canceled: action.canceled,
          createTime: action.createMs,
          modifTime: action.modifMs,
        })),
      });
    },
  });
}
