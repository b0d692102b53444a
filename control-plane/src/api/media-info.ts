import { z } from 'zod';
import { Reply, type ApiRouter } from '../http/route.js';
import type { MediaInfoService } from '../services/ingest/media-info.js';

const thumbnail = z.object({ time: z.number().describe('100 ns units'), data: z.string().describe('base64 PNG') });
const infoSchema = z.object({
  info: z.object({
    name: z.string(),
    filetype: z.string(),
    mediaType: z.enum(['video', 'audio', 'image']),
    duration: z.number().describe('100 ns units'),
    size: z.number(),
    width: z.number(),
    height: z.number(),
    thumbnail: z.string(),
    previewUrl: z.string(),
    audioTracks: z.array(z.string()),
  }),
  thumbnails: z.array(thumbnail),
});

export function mountMediaInfo(api: ApiRouter, mediaInfo: MediaInfoService): void {
  api.route({
    method: 'post',
    path: '/api/task/mediainfo',
    summary: 'Describe a file by URL (for developer catalogues)',
    description:
      'Authorization: a developer apiKey. The URLs are fetched under the outbound rule (http(s) only, no private addresses unless ALLOW_PRIVATE_URLS).',
    auth: 'apiKey',
    body: z.object({ originalUrl: z.string().min(1).max(8192), previewUrl: z.string().min(1).max(8192).optional() }),
    responses: { 200: { description: 'The task id', schema: z.object({ id: z.string() }) } },
    handler: ({ auth, body }) => mediaInfo.create(auth.developerId, body),
  });

  api.route({
    method: 'get',
    path: '/api/task/mediainfo/:id',
    summary: 'The media info, once ready',
    description:
      '202 while the file is processed (`{status, progress}`), 200 with `{info, thumbnails}` when done, 422 with `{error}` when the file could not be read or is not media.',
    auth: 'apiKey',
    params: z.object({ id: z.string().min(1).max(200) }),
    responses: {
      200: { description: 'Processed', schema: infoSchema },
      202: { description: 'In progress', schema: z.object({ status: z.literal('running'), progress: z.number() }) },
      422: {
        description: 'Failed',
        schema: z.object({ error: z.object({ type: z.string(), code: z.string(), message: z.string() }) }),
      },
    },
    handler: async ({ auth, params }) => {
      const status = await mediaInfo.status(auth.developerId, params.id);
      if (status.state === 'working') return new Reply(202, { status: 'running', progress: status.progress });
      if (status.state === 'failed') return new Reply(422, { error: status.error });
      return status.answer;
    },
  });
}
