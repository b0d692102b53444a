import { once } from 'node:events';
import type { Response } from 'express';
import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { RawJson, sendJson, stringifyWithRaw } from '../project-data/index.js';
import type { ProjectsService, ProjectSummary } from '../services/projects/projects.js';
import { anyJson, objectId, storedText, unixMs } from './project-schemas.js';
import { countParam, startNumberParam } from './paging.js';
import { mediaEntrySchema } from './media-files.js';

const NAME_MAX = 1000;
/** Thumbnails are base64 images; they ride in every list entry, so they are kept modest. */
const THUMBNAIL_MAX = 4 * 2 ** 20;
/** Projects whose data is read per query when a list includes data, bounding memory. */
const DATA_BATCH = 8;

const idParam = z.object({ id: objectId });
const idAnswer = z.object({ id: z.string() });

const createBody = z.object({
  name: storedText(NAME_MAX).optional().describe('Defaults to an empty name.'),
  data: anyJson.optional(),
  thumbnail: storedText(THUMBNAIL_MAX).optional().describe('A base64 image, stored as given.'),
  createTime: unixMs.optional(),
});

const updateBody = z.object({
  name: storedText(NAME_MAX).optional(),
  data: anyJson.optional(),
  thumbnail: storedText(THUMBNAIL_MAX).optional(),
  modifTime: unixMs.optional(),
});

const projectObject = z
  .object({
    id: z.string(),
    data: anyJson.optional(),
    name: z.string(),
    createTime: z.number(),
    modifTime: z.number(),
    thumbnail: z.string(),
  })
  .meta({ id: 'Project', description: "The editor API's project_object; `data` only where asked for" });

const listQuery = z.object({
  start_number: startNumberParam,
  count: countParam(),
  data: z
    .string()
    .regex(/^(-?\d+|true|false)$/, 'data must be 0 or 1')
    .optional()
    .transform((v) => v !== undefined && v !== 'false' && Number(v) !== 0)
    .describe('Non-zero: entries carry their `data`; otherwise `data` is left out.'),
  search: z.string().max(NAME_MAX).optional().describe('Case-insensitive substring of the name.'),
  sort_field: z.enum(['name', 'createTime', 'modifTime']).default('modifTime'),
  sort_order: z.enum(['asc', 'desc']).default('desc'),
});

function summaryView(project: ProjectSummary, dataJson?: string) {
  return {
    id: project.id,
    ...(dataJson !== undefined ? { data: new RawJson(dataJson) } : {}),
    name: project.name,
    createTime: project.createMs,
    modifTime: project.modifMs,
    thumbnail: project.thumbnail,
  };
}

export function mountProjects(api: ApiRouter, projects: ProjectsService): void {
  api.route({
    method: 'post',
    path: '/api/projects',
    summary: 'Create a project',
    description:
      '`data` may be any JSON value (an object, or a string holding anything); it is answered back exactly as sent, byte for byte. ' +
      'Left out, `data` is `null`. `createTime` defaults to the server time; `modifTime` starts equal to it.',
    auth: 'user',
    body: createBody,
    verbatimMembers: ['data'],
    responses: { 200: { description: 'The new project id', schema: idAnswer } },
    handler: ({ auth, body, verbatim }) =>
      projects.create(auth.id, {
        name: body.name,
        data: verbatim.get('data'),
        thumbnail: body.thumbnail,
        createTimeMs: body.createTime,
      }),
  });

  api.route({
    method: 'patch',
    path: '/api/projects/:id',
    summary: 'Update a project (autosave)',
    description: 'Fields left out keep their value. `modifTime` defaults to the server time.',
    auth: 'user',
    params: idParam,
    body: updateBody,
    verbatimMembers: ['data'],
    responses: { 200: { description: 'Saved', schema: z.object({}) } },
    handler: async ({ auth, params, body, verbatim }) => {
      await projects.update(auth.id, params.id, {
        name: body.name,
        data: verbatim.get('data'),
        thumbnail: body.thumbnail,
        modifTimeMs: body.modifTime,
      });
      return {};
    },
  });

  api.route({
    method: 'get',
    path: '/api/projects/:id',
    summary: 'Get a project with its data',
    auth: 'user',
    params: idParam,
    responses: { 200: { description: 'The project', schema: projectObject } },
    handler: async ({ res, auth, params }) => {
      const project = await projects.get(auth.id, params.id);
      sendJson(res, summaryView(project, project.dataJson));
    },
  });

  api.route({
    method: 'get',
    path: '/api/projects',
    summary: "List the user's projects",
    description: 'Newest modification first unless sorted otherwise.',
    auth: 'user',
    query: listQuery,
    responses: {
      200: {
        description: 'A page of projects',
        schema: z.object({ total_count: z.number(), entries: z.array(projectObject) }),
      },
    },
    handler: async ({ res, auth, query }) => {
      const { total, rows } = await projects.list(auth.id, {
        offset: query.start_number,
        limit: query.count,
        search: query.search,
        sortField: query.sort_field,
        descending: query.sort_order === 'desc',
      });
      if (!query.data) return { total_count: total, entries: rows.map((row) => summaryView(row)) };
      await streamWithData(res, total, rows, (ids) => projects.dataOf(auth.id, ids));
      return undefined;
    },
  });

  api.route({
    method: 'delete',
    path: '/api/projects/:id',
    summary: 'Delete a project and its action history',
    auth: 'user',
    params: idParam,
    responses: { 200: { description: 'Deleted', schema: z.object({}) } },
    handler: async ({ auth, params }) => {
      await projects.delete(auth.id, params.id);
      return {};
    },
  });

  api.route({
    method: 'get',
    path: '/api/projects/:id/mediafiles',
    summary: 'The media files the project mentions',
    description: "Media objects (as `GET /api/mediafiles/<id>`) whose ids occur in the project's data, from the index refreshed on every save.",
    auth: 'user',
    params: idParam,
    responses: {
      200: {
        description: 'Media objects',
        schema: z.object({ total_count: z.number(), entries: z.array(mediaEntrySchema) }),
      },
    },
    handler: async ({ auth, params }) => {
      const entries = await projects.mediaFiles(auth.id, params.id);
      return { total_count: entries.length, entries };
    },
  });
}

/**
 * A list whose entries carry data (megabytes each) is written entry by entry, reading data a
 * few projects at a time, so memory stays bounded whatever the page size.
 */
async function streamWithData(res: Response, total: number, rows: ProjectSummary[], dataOf: (ids: string[]) => Promise<Map<string, string>>): Promise<void> {
  res.status(200).type('application/json');
  const write = async (chunk: string) => {
    if (!res.write(chunk)) await once(res, 'drain');
  };
  await write(`{"total_count":${total},"entries":[`);
  for (let i = 0; i < rows.length; i += DATA_BATCH) {
    const batch = rows.slice(i, i + DATA_BATCH);
    const data = await dataOf(batch.map((row) => row.id));
    for (const [j, row] of batch.entries()) {
      // A project deleted since the page was read answers null data rather than vanishing.
      await write((i + j > 0 ? ',' : '') + stringifyWithRaw(summaryView(row, data.get(row.id) ?? 'null')));
    }
  }
  res.end(']}');
}
