import { z } from 'zod';
import { timelineToXtl } from '@cutroom/render-node';
import { badRequest } from '../http/errors.js';
import type { ApiRouter } from '../http/route.js';
import { receivedRangeHeader } from '../http/content-range.js';
import type { ProjectImportService, ProjectImportState } from '../services/projects/project-imports.js';
import type { ProjectsService } from '../services/projects/projects.js';
import { readTimeline } from '../services/projects/timeline-schema.js';
import { CHUNK_PUT_DESCRIPTION, chunkOf, chunkReply, CHUNK_REQUEST_HEADERS, RANGE_RESPONSE_HEADERS, uploadStateSchema } from './chunked-upload.js';
import { objectId } from './project-schemas.js';

const idQuery = z.object({ id: z.string().min(1).max(200).describe('The import session id: the id the new project will have.') });

const stateSchema = z.object({
  stage: z.enum(['upload', 'unpack', 'import_media', 'ready']),
  progress: z.number().int().describe('Percent of the current stage.'),
  error: z.string().describe('Empty, or what went wrong: a refusal (with `failed`), or events kept as gaps and media that could not be used.'),
  failed: z.boolean().describe('The import was refused or failed: it will not reach ready, and nothing it made is left.'),
  size: z.number(),
  receivedBytes: z.number().describe('The contiguous prefix of the zip received from byte 0.'),
});
const stateBody = (s: ProjectImportState) => ({
  stage: s.stage,
  progress: s.progress,
  error: s.error,
  failed: s.failed,
  size: s.size,
  receivedBytes: s.receivedBytes,
});

export function mountProjectImports(api: ApiRouter, imports: ProjectImportService): void {
  api.route({
    method: 'post',
    path: '/api/upload/project',
    summary: 'Create a project import session (a zip of an edit decision list and its media)',
    description:
      "The answer's `id` is the id the project will have once the import is ready. `fps` is the timeline rate (29.97 is 30000/1001); a CMX 3600 EDL needs it. " +
      'With `createFolder` the media go into a folder named after the project, else into the root. 507 when `size` is over PROJECT_IMPORT_MAX_BYTES.',
    auth: 'user',
    body: z.object({
      size: z.number().int().min(1, 'an empty zip holds no project: size must be at least 1').describe('Bytes of the whole zip.'),
      name: z.string().trim().max(1000).optional().describe("The zip's name; the project (and folder) are named after it without `.zip`."),
      fps: z.number().positive().max(240).optional().describe('Frames a second of the timeline: 25, 29.97, 23.976, 30000/1001 written as 29.97...'),
      createFolder: z.boolean().optional(),
    }),
    responses: { 200: { description: 'The session id (the future project id)', schema: z.object({ id: z.string() }) } },
    handler: ({ auth, body }) => imports.create(auth.id, body),
  });

  api.route({
    method: 'put',
    path: '/api/upload/project',
    summary: 'Send a chunk of the zip (Content-Range: bytes a-b/total), or ask the state (bytes */total, empty body)',
    description: `${CHUNK_PUT_DESCRIPTION} The chunk that completes the zip starts the unpack.`,
    auth: 'user',
    query: idQuery,
    rawBody: 'application/octet-stream',
    requestHeaders: CHUNK_REQUEST_HEADERS,
    responses: {
      200: { description: 'The whole zip is in', schema: uploadStateSchema, headers: RANGE_RESPONSE_HEADERS },
      206: { description: 'More data expected', schema: uploadStateSchema, headers: RANGE_RESPONSE_HEADERS },
    },
    handler: async ({ auth, query, req }) => {
      const { range, contentLength } = chunkOf(req);
      const state = await imports.receive(auth.id, query.id, range, req, contentLength);
      return chunkReply(state);
    },
  });

  api.route({
    method: 'get',
    path: '/api/upload/project',
    summary: "A project import's stage, progress and error",
    description:
      'Stages: upload, unpack, import_media, ready. A refused import keeps its stage, with `failed` and the reason in `error`, until the session expires.',
    auth: 'user',
    query: idQuery,
    responses: { 200: { description: 'The state', schema: stateSchema } },
    handler: async ({ auth, query, res }) => {
      const state = await imports.state(auth.id, query.id);
      if (state.stage === 'upload') res.set(receivedRangeHeader(state.receivedBytes));
      return stateBody(state);
    },
  });

  api.route({
    method: 'delete',
    path: '/api/upload/project',
    summary: 'Cancel a project import: stop it and remove everything it made',
    description:
      'At any stage, ready included: the project, the folder (unless something else was put in it), the media and every stored byte go, and so does the session.',
    auth: 'user',
    query: idQuery,
    responses: { 200: { description: 'Cancelled', schema: z.object({}) } },
    handler: async ({ auth, query }) => {
      await imports.cancel(auth.id, query.id);
      return {};
    },
  });
}

export function mountProjectXtl(api: ApiRouter, projects: ProjectsService): void {
  api.route({
    method: 'get',
    path: '/api/projects/:id/xtl',
    summary: "The XTL that renders an imported project's timeline",
    description:
      "application/xml, ready for `POST /api/task/editing`. 400 when the project's data is not an imported timeline (docs/timeline.md) or has nothing to render.",
    auth: 'user',
    params: z.object({ id: objectId }),
    responses: { 200: { description: 'The XTL document', schema: z.string(), contentType: 'application/xml' } },
    handler: async ({ auth, params, res }) => {
      const project = await projects.get(auth.id, params.id);
      let data: unknown;
      try {
        data = JSON.parse(project.dataJson);
      } catch {
        data = undefined;
      }
      const read = readTimeline(data);
      if ('problem' in read) throw badRequest(`the project's data is not an imported timeline (${read.problem})`);
      const { xml, clipCount } = timelineToXtl(read.timeline);
      if (clipCount === 0) throw badRequest('the timeline has no clip that can be rendered');
      res.status(200).type('application/xml').send(xml);
    },
  });
}
