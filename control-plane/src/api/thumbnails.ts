import type { Response } from 'express';
import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { messageInStatus } from '../http/errors.js';
import { clientGone } from '../http/client-gone.js';
import type { StripThumbnail, ThumbnailService } from '../services/thumbnails/thumbnails.js';
import { countParam } from './paging.js';

const hns = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const flag = z.enum(['true', 'false', '1', '0']);
const isSet = (value: z.infer<typeof flag>) => value === 'true' || value === '1';

export function mountThumbnails(api: ApiRouter, thumbnails: ThumbnailService, limits: { maxLiveCount: number }): void {
  api.route({
    method: 'get',
    path: '/api/clip_thumbnails',
    summary: 'Thumbnails of a clip for the timeline',
    description: `\`cached=true\`: from the thumbnails prepared at ingest (the nearest prepared frame; \`time\` echoes the time asked). \`cached=false\`: the exact frames, extracted now, at most ${limits.maxLiveCount} per request (THUMB_LIVE_MAX_COUNT), under a limit shared by every request: 503 with Retry-After when too many wait. Extraction stops when the client disconnects. Images and audio answer their one picture (image, waveform) at every time.`,
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
        headers: {
          ETag: { description: 'With `cached=true`: the same prepared thumbnails at the same times have the same tag' },
          'Cache-Control': { description: '`private, max-age=3600` with `cached=true`' },
        },
      },
      304: { description: 'Not modified (`cached=true` and a matching If-None-Match)' },
      503: { description: 'Too many extractions are waiting (cached=false); retry after the Retry-After seconds' },
    },
    requestHeaders: { 'If-None-Match': { description: 'The ETag of an earlier answer (`cached=true`): 304 when it is still the answer' } },
    handler: async ({ req, res, auth, query }) => {
      const times = thumbnails.times(query.start_time, query.step, query.count);
      const strip = await thumbnails.strip(auth.id, query.id, times, isSet(query.cached), clientGone(res));
      if (strip.etag) {
        res.setHeader('ETag', strip.etag);
        res.setHeader('Cache-Control', 'private, max-age=3600');
        if (matchesEntityTag(req.get('if-none-match'), strip.etag)) {
          res.status(304).end();
          return;
        }
      }
      sendStrip(res, strip.thumbnails);
      return undefined;
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

/**
 * `{"status":"","thumbnails":[{"time":..,"data":".."},..]}` written as pieces: the short JSON
 * between the pictures, and each picture's base64 bytes as they are held (cached), corked so
 * that headers and body leave in one vectored write. No JSON.stringify scanning hundreds of
 * kilobytes for characters to escape (base64 has none), no string of that size on the
 * JavaScript heap, and no copy of the pictures into a buffer of the answer's size: a fresh
 * 400 kB buffer per answer, though outside the heap, is memory V8 counts, and every 60 to 300
 * answers it made V8 run a full (mark-compact) collection of the whole heap (some 65 MB), the
 * slow tail of cached strips on the server's side.
 */
function sendStrip(res: Response, thumbnails: StripThumbnail[]): void {
  const pieces: Array<Buffer | string> = [];
  let text = '{"status":"","thumbnails":[';
  for (let i = 0; i < thumbnails.length; i++) {
    pieces.push(`${text}${i === 0 ? '' : ','}{"time":${JSON.stringify(thumbnails[i]!.time)},"data":"`, thumbnails[i]!.base64);
    text = '"}';
  }
  pieces.push(`${text}]}`);
  let length = 0;
  for (const piece of pieces) length += piece.length;
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', length);
  res.cork();
  for (const piece of pieces) res.write(piece, 'latin1');
  // end() uncorks: every piece leaves in one write.
  res.end();
}

function matchesEntityTag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim().replace(/^W\//, '');
    return trimmed === '*' || trimmed === etag;
  });
}
