import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { messageInStatus } from '../http/errors.js';
import { clientGone } from '../http/client-gone.js';
import type { ThumbnailService } from '../services/thumbnails.js';
import { countParam } from './paging.js';

const hns = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const flag = z.enum(['true', 'false', '1', '0']);
const isSet = (value: z.infer<typeof flag>) => value === 'true' || value === '1';

export function mountThumbnails(api: ApiRouter, thumbnails: ThumbnailService, limits: { maxLiveCount: number }): void {
  api.route({
    method: 'get',
    path: '/api/clip_thumbnails',
    summary: 'Thumbnails of a clip for the timeline',
    description:
      `\`cached=true\`: from the thumbnails prepared at ingest (the nearest prepared frame; \`time\` echoes the time asked). \`cached=false\`: the exact frames, extracted now, at most ${limits.maxLiveCount} per request (THUMB_LIVE_MAX_COUNT), under a limit shared by every request: 503 with Retry-After when too many wait. Extraction stops when the client disconnects. Images and audio answer their one picture (image, waveform) at every time.`,
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
      503: { description: 'Too many extractions are waiting (cached=false); retry after the Retry-After seconds' },
    },
    handler: async ({ res, auth, query }) => {
      const times = thumbnails.times(query.start_time, query.step, query.count);
      return { status: '', thumbnails: await thumbnails.thumbnails(auth.id, query.id, times, isSet(query.cached), clientGone(res)) };
    },
  });

  api.route({
    method: 'get',
    path: '/api/clip_thumbnail',
    summary: 'One thumbnail of a clip',
    description: 'From the prepared thumbnails when there are, else extracted now.',
    auth: 'user',
    query: z.object({ id: z.string().min(1).max(200), time: hns.default(0).describe('100 ns units') }),
    responses: {
      200: { description: 'The thumbnail', schema: z.object({ data: z.string().describe('base64 PNG') }) },
      503: { description: 'Too many extractions are waiting; retry after the Retry-After seconds' },
    },
    handler: async ({ res, auth, query }) => {
      const [thumbnail] = await thumbnails.thumbnails(auth.id, query.id, [query.time], true, clientGone(res));
      return { data: thumbnail!.data };
    },
  });
}
