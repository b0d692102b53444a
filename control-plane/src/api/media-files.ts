import { z } from 'zod';
import { sendJsonBytes, type ApiRouter } from '../http/route.js';
import { errorObjectSchema } from '../http/errors.js';
import type { EntryFilter } from '../db/media-repository.js';
import type { MediaService } from '../services/library/media.js';
import { ROOT_FOLDER } from '../services/library/folders.js';
import { countParam, startNumberParam } from './paging.js';

const FILTERS = ['video', 'audio', 'image', 'folder', 'voiceover'] as const;
const ALL: EntryFilter = { folders: true, mediaTypes: ['video', 'audio', 'image'], voiceover: true };

export const mediaEntrySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string().describe('test, uploaded, url, output, voiceover, audiolib; `folder` for folders'),
    filetype: z.string().describe('mp4, mov, mp3, png, m4a, jpg, mxf, webm, ...; `folder` for folders'),
    mediaType: z.string().describe('video, audio, image; `folder` for folders'),
    duration: z.number().describe('100 ns units'),
    size: z.number().describe('bytes'),
    width: z.number(),
    height: z.number(),
    thumbnail: z.string().describe('PNG, base64; "" until ingest has made it'),
    previewUrl: z.string().describe('Signed, expiring URL the browser plays and seeks (HTTP Range); "" while nothing is stored'),
    originalUrl: z.string().describe('Signed, expiring URL of the original (differs from previewUrl when a proxy was made); "" while nothing is stored'),
    audioTracks: z.array(z.string()),
    status: z.enum(['render', 'upload', 'import', 'convert', 'prepare_thumbnails', 'ready']),
    progress: z.number().describe('percent of the current stage'),
    error: errorObjectSchema.nullable(),
    taskId: z.string().describe('the render task of an output, else the ingest task; "" when none'),
    categoryId: z.string().describe('audio library files: their category id; "" for other files'),
    moodId: z.string().describe('audio library files: their mood id; "" for other files'),
    createTime: z.number().describe('unix ms (extension)'),
    folder: z.string().nullable().describe('parent folder id, null at the root (extension)'),
  })
  .meta({ id: 'MediaEntry', description: "The editor API's media_file_entry_object, with two extensions (createTime, folder)" });

const filterParam = z
  .string()
  .optional()
  .describe('Comma-separated: video, audio, image, folder, voiceover. Absent: everything.')
  .transform((value, ctx): EntryFilter => {
    const items = (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0) return ALL;
    const unknown = items.filter((item) => !(FILTERS as readonly string[]).includes(item));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown filter ${unknown.join(', ')}; accepts ${FILTERS.join(', ')}` });
      return z.NEVER;
    }
    return {
      folders: items.includes('folder'),
      mediaTypes: (['video', 'audio', 'image'] as const).filter((type) => items.includes(type)),
      voiceover: items.includes('voiceover'),
    };
  });

/** Absent, empty or `root`: the root. */
export const folderParam = z
  .string()
  .max(200)
  .nullish()
  .transform((value) => (value === undefined || value === null || value === '' || value === ROOT_FOLDER ? null : value));

const listQuery = z.object({
  start_number: startNumberParam,
  count: countParam(),
  filter: filterParam,
  sort_field: z.enum(['name', 'createTime', 'size', 'duration']).default('createTime'),
  sort_order: z.enum(['asc', 'desc']).default('desc'),
  search: z.string().max(200).optional().describe('Case-insensitive substring of the name'),
  folder: folderParam.describe('Folder id; absent or `root`: the root'),
});

const idParam = z.object({ id: z.string().min(1).max(200) });
/** The editor API writes `?&id="1233f2"`: quotes around the id are accepted. */
const quotedId = z
  .string()
  .min(1)
  .max(202)
  .transform((id) => id.replace(/^"(.*)"$/, '$1'));
export const forceParam = z
  .enum(['0', '1', 'true', 'false'])
  .optional()
  .transform((value) => value === '1' || value === 'true')
  .describe('1: delete even when projects use it');

export function mountMediaFiles(api: ApiRouter, media: MediaService): void {
  api.route({
    method: 'get',
    path: '/api/mediafiles',
    summary: "List a folder of the user's media library",
    description:
      'Sub-folders come first (entries with filetype `folder`), then files; shared test media are listed at the root. ' +
      'Sorted by `sort_field` then id, in `sort_order`; sub-folders sort by name when the field is size or duration.',
    auth: 'user',
    query: listQuery,
    responses: {
      200: { description: 'One page', schema: z.object({ total_count: z.number().int(), entries: z.array(mediaEntrySchema) }) },
    },
    handler: async ({ req, res, auth, query }) => {
      // `auth` is the identity service's user, with the listing versions read along with the token.
      const answer = await media.listAnswers.answer(auth, {
        startNumber: query.start_number,
        count: query.count,
        filter: query.filter,
        sortField: query.sort_field,
        sortOrder: query.sort_order,
        search: query.search,
        folderId: query.folder,
      });
      sendJsonBytes(req, res, 200, answer);
    },
  });

  api.route({
    method: 'get',
    path: '/api/mediafiles/:id',
    summary: 'Get one media file',
    auth: 'user',
    params: idParam,
    responses: { 200: { description: 'The media file', schema: mediaEntrySchema } },
    handler: ({ auth, params }) => media.describe(auth.id, params.id),
  });

  api.route({
    method: 'get',
    path: '/api/mediafile/status',
    summary: "A media file's status, progress and error",
    auth: 'user',
    query: z.object({ id: quotedId }),
    responses: {
      200: {
        description: 'The status',
        schema: z.object({ status: mediaEntrySchema.shape.status, progress: z.number(), error: errorObjectSchema.nullable() }),
      },
    },
    handler: ({ auth, query }) => media.state(auth.id, query.id),
  });

  api.route({
    method: 'delete',
    path: '/api/mediafiles/:id',
    summary: 'Delete a media file and every stored object of it',
    description: '409 `used_in_projects` when a project mentions the file, unless `force=1`. Shared media (test media, the audio library) are read-only (403).',
    auth: 'user',
    params: idParam,
    query: z.object({ force: forceParam }),
    responses: { 200: { description: 'Deleted', schema: z.object({}) } },
    errors: {
      400: 'A project uses the file: `{error: {type: "used_in_projects"}}`, unless force=1; or a bad parameter',
      403: 'Shared media (test media, the audio library) are read-only',
    },
    handler: async ({ auth, params, query }) => {
      await media.delete(auth.id, params.id, query.force);
      return {};
    },
  });
}
