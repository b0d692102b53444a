import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { receivedRangeHeader } from '../http/content-range.js';
import type { UploadService } from '../services/uploads.js';
import { CHUNK_PUT_DESCRIPTION, chunkOf, chunkReply, uploadStateBody, uploadStateSchema as stateSchema } from './chunked-upload.js';

const idQuery = z.object({ id: z.string().min(1).max(200).describe('The upload session id (the new media id).') });

export function mountUploads(api: ApiRouter, uploads: UploadService): void {
  api.route({
    method: 'post',
    path: '/api/upload/media',
    summary: 'Create an upload session (and its media entry, status upload)',
    description: '507 when the size is over MAX_FILE_SIZE, the user quota or the disk floor; 514 when the name is not a media file we support.',
    auth: 'user',
    body: z.object({
      size: z.number().int().min(1).describe('Bytes of the whole file.'),
      name: z.string().trim().min(1).max(1000),
      folder: z.string().min(1).max(200).optional().describe('Destination folder id (`root` or absent: the root).'),
    }),
    responses: { 200: { description: 'The session (and media) id', schema: z.object({ id: z.string() }) } },
    handler: ({ auth, body }) => uploads.create(auth.id, body),
  });

  api.route({
    method: 'put',
    path: '/api/upload/media',
    summary: 'Send a chunk (Content-Range: bytes a-b/total), or ask the state (bytes */total, empty body)',
    description: CHUNK_PUT_DESCRIPTION,
    auth: 'user',
    query: idQuery,
    rawBody: 'application/octet-stream',
    responses: {
      200: { description: 'The whole file is in', schema: stateSchema },
      206: { description: 'More data expected', schema: stateSchema },
    },
    handler: async ({ auth, query, req }) => {
      const { range, contentLength } = chunkOf(req);
      return chunkReply(await uploads.receive(auth.id, query.id, range, req, contentLength));
    },
  });

  api.route({
    method: 'get',
    path: '/api/upload/media',
    summary: "An upload session's state",
    auth: 'user',
    query: idQuery,
    responses: { 200: { description: 'The state', schema: stateSchema } },
    handler: async ({ auth, query, res }) => {
      const state = await uploads.state(auth.id, query.id);
      res.set(receivedRangeHeader(state.receivedBytes));
      return uploadStateBody(state);
    },
  });
}
