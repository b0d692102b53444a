import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { messageInStatus } from '../http/errors.js';
import type { ThumbnailService } from '../services/thumbnails.js';
import { countParam } from './paging.js';

const hns = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const flag = z.enum(['true', 'false', '1', '0']);
const isSet = (value: z.infer<typeof flag>) => value === 'true' || value === '1';

export function mountThumbnails(api: ApiRouter, thumbnails: ThumbnailService): void {
  api.route({
    method: 'get',
    path: '/api/clip_thumbnails',
    summary: 'Thumbnails of a clip for the timeline',
    description:
      '`cached=true`: from the thumbnails prepared at ingest (the nearest prepared frame; `time` echoes the time asked). `cached=false`: the exact frames, extracted now. Images and audio answer their one picture (image, waveform) at every time.',
    auth: 'user',
    query: z.object({
      id: z.string().min(1).max(200),
      start_time: hns.default(0).describe('100 ns units'),
      step: hns.default(10_000_000).describe('100 ns units'),
      count: countParam(1, 1),
      cached: flag.default('true').describe('`true` (default): from the thumbnails prepared at ingest; `false`: the exact frames, extracted now'),
    }),
    errorShape: messageInStatus({ thumbnails: [] }, { thumbnails: z.array(z.never()).describe('empty on errors') }),
    responses: {
      200: {
        description: 'The thumbnails',
        schema: z.object({ status: z.string(), thumbnails: z.array(z.object({ time: z.number(), data: z.string() })) }),
      },
    },
    handler: async ({ auth, query }) => {
      const times = thumbnails.times(query.start_time, query.step, query.count);
      return { status: '', thumbnails: await thumbnails.thumbnails(auth.id, query.id, times, isSet(query.cached)) };
    },
  });

  api.route({
    method: 'get',
    path: '/api/clip_thumbnail',
    summary: 'One thumbnail of a clip',
    description: 'From the prepared thumbnails when there are, else extracted now.',
    auth: 'user',
    query: z.object({ id: z.string().min(1).max(200), time: hns.default(0).describe('100 ns units') }),
    responses: { 200: { description: 'The thumbnail', schema: z.object({ data: z.string().describe('base64 PNG') }) } },
    handler: async ({ auth, query }) => {
      const [thumbnail] = await thumbnails.thumbnails(auth.id, query.id, [query.time], true);
      return { data: thumbnail!.data };
    },
  });
}
