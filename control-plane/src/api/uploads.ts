import { z } from 'zod';
import { Reply, type ApiRouter } from '../http/route.js';
import { parseContentRange, receivedRangeHeader } from '../http/content-range.js';
import type { UploadService, UploadState } from '../services/uploads.js';
import { folderParam } from './media-files.js';

const idQuery = z.object({ id: z.string().min(1).max(200).describe('The upload session id (the new media id).') });
const stateSchema = z.object({
  id: z.string(),
  size: z.number(),
  receivedBytes: z.number().describe('The contiguous prefix received from byte 0.'),
  complete: z.boolean(),
  expireTime: z.number().describe('Unix ms; an incomplete session is removed, bytes and all, after this.'),
});
const stateBody = (s: UploadState) => ({ id: s.id, size: s.size, receivedBytes: s.receivedBytes, complete: s.complete, expireTime: s.expiresAt.getTime() });

export function mountUploads(api: ApiRouter, uploads: UploadService): void {
  api.route({
    method: 'post',
    path: '/api/upload/media',
    summary: 'Create an upload session (and its media entry, status upload)',
    description: '507 when the size is over MAX_FILE_SIZE, the user quota or the disk floor; 514 when the name is not a media file we support.',
    auth: 'user',
    body: z.object({
      size: z.number().int().min(0).describe('Bytes of the whole file; 0, an empty file, is complete at once.'),
      name: z.string().trim().min(1).max(1000),
      folder: folderParam.describe('Destination folder id; absent, `null`, `""` or `root`: the root.'),
    }),
    responses: { 200: { description: 'The session (and media) id', schema: z.object({ id: z.string() }) } },
    handler: ({ auth, body }) => uploads.create(auth.id, body),
  });

  api.route({
    method: 'put',
    path: '/api/upload/media',
    summary: 'Send a chunk (Content-Range: bytes a-b/total), or ask the state (bytes */total, empty body)',
    description:
      'Chunks may come in any order, repeated or in parallel. 206 with `Range: bytes=0-N` (the contiguous prefix received; no Range header while nothing is) until the file is complete, then 200. A dropped chunk stores nothing: ask the state and send again from there.',
    auth: 'user',
    query: idQuery,
    rawBody: 'application/octet-stream',
    responses: {
      200: { description: 'The whole file is in', schema: stateSchema },
      206: { description: 'More data expected', schema: stateSchema },
    },
    handler: async ({ auth, query, req }) => {
      const range = parseContentRange(req.get('content-range'));
      const declared = req.get('content-length');
      const state = await uploads.receive(auth.id, query.id, range, req, declared === undefined ? undefined : Number(declared));
      return new Reply(state.complete ? 200 : 206, stateBody(state), receivedRangeHeader(state.receivedBytes));
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
      return stateBody(state);
    },
  });
}
