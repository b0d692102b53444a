import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { badRequest, messageInError } from '../http/errors.js';
import { BucketRefused, type ImportService } from '../services/ingest/imports.js';
import { folderParam } from './media-files.js';

export function mountImports(api: ApiRouter, imports: ImportService): void {
  api.route({
    method: 'post',
    path: '/api/import/media/url',
    summary: 'Import a media file from a URL',
    description:
      'http(s) only; private, loopback and link-local addresses (every resolved address and redirect) are refused unless ALLOW_PRIVATE_URLS. The entry shows `status: import` with progress while it downloads, then ingests.',
    auth: 'user',
    body: z.object({
      url: z.string().min(1).max(8192),
      folder: folderParam.describe('Destination folder id; absent, `null`, `""` or `root`: the root.'),
    }),
    responses: { 200: { description: 'The new media id', schema: z.object({ id: z.string() }) } },
    errors: { 404: 'No user for the token, or no such folder', 507: 'The user is already over MAX_USER_BYTES' },
    handler: ({ auth, body }) => imports.importUrl(auth.id, body),
  });

  api.route({
    method: 'post',
    path: '/api/import/media/awsbucket',
    summary: 'Import every media file of an S3 bucket',
    description:
      'Lists the bucket with the given keys (`awsEndPoint` and `awsRegion` are extensions for S3-compatible stores) and imports each media object into a new folder named after the bucket; `id` is that folder. A bucket that cannot be listed answers 400 `{id: "", error, errorDetail}` at once, as does every error.',
    auth: 'user',
    body: z.object({
      awsAccessKey: z.string().min(1).max(256),
      awsSecreteKey: z.string().min(1).max(256),
      awsBucketName: z.string().min(1).max(63),
      awsEndPoint: z.string().min(1).max(2048).optional(),
      awsRegion: z.string().min(1).max(64).optional(),
    }),
    errorShape: messageInError({ id: '' }),
    responses: {
      200: { description: 'The folder the objects go to; `error` is ""', schema: z.object({ id: z.string(), error: z.string() }) },
    },
    handler: async ({ auth, body }) => {
      try {
        return await imports.importBucket(auth.id, body);
      } catch (error) {
        if (error instanceof BucketRefused) throw badRequest(error.message);
        throw error;
      }
    },
  });
}
