import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { receivedRangeHeader } from '../http/content-range.js';
import type { UploadService } from '../services/ingest/uploads.js';
import {
  CHUNK_PUT_DESCRIPTION,
  CHUNK_REQUEST_HEADERS,
  RANGE_RESPONSE_HEADERS,
  chunkOf,
  chunkReply,
  uploadStateBody,
  uploadStateSchema as stateSchema,
} from './chunked-upload.js';
import { folderParam } from './media-files.js';

const idQuery = z.object({ id: z.string().min(1).max(200).describe('The upload session id (the new media id).') });

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
    errors: {
      404: 'No user for the token, or no such folder',
      507: 'Over MAX_FILE_SIZE (`exceeded_file_size`), the user quota (`exceeded_per_user_size`) or the disk floor (`low_disk_space`)',
      514: 'The name is not that of a media file we support (`unsupported_media`)',
    },
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
    requestHeaders: CHUNK_REQUEST_HEADERS,
    responses: {
      200: { description: 'The whole file is in', schema: stateSchema, headers: RANGE_RESPONSE_HEADERS },
      206: { description: 'More data expected', schema: stateSchema, headers: RANGE_RESPONSE_HEADERS },
    },
    errors: {
      400: 'No or a malformed Content-Range, a total other than the session size, or a body shorter than the range',
      404: 'No user for the token, or no such session (expired, or of another user)',
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
    responses: { 200: { description: 'The state', schema: stateSchema, headers: RANGE_RESPONSE_HEADERS } },
    handler: async ({ auth, query, res }) => {
      const state = await uploads.state(auth.id, query.id);
      res.set(receivedRangeHeader(state.receivedBytes));
      return uploadStateBody(state);
    },
  });
}
