import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { messageInError } from '../http/errors.js';
import type { AudioLibraryImport } from '../services/audio-library/audio-library-import.js';
import type { AudioLibraryService } from '../services/audio-library/audio-library.js';
import { mediaEntrySchema } from './media-files.js';
import { countParam, startNumberParam } from './paging.js';

const typeParam = z.enum(['music', 'sound']).default('music').describe('`music`: music tracks (default); `sound`: sound effects and noises');

/** An id filter; absent or empty: no filter. */
const optionalId = z
  .string()
  .max(200)
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const listQuery = z.object({
  type: typeParam,
  category_id: optionalId.describe('Only files of this category'),
  mood_id: optionalId.describe('Only files of this mood'),
  search: z.string().max(200).optional().describe('Case-insensitive substring of the name'),
  sort_field: z.enum(['name', 'createTime']).default('name'),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
  start_number: startNumberParam,
  count: countParam(),
});

const tagList = z.object({
  entries: z.array(z.object({ id: z.string(), name: z.string(), entriesCount: z.number().int().describe('files of the type in it') })),
});

const importStatus = z.object({
  processedCount: z.number().int().describe('entries of the list handled so far'),
  totalCount: z.number().int().describe('entries of the list, refused ones included'),
  error: z.string().describe('each refused, skipped or failed entry with the reason, `; `-separated; "" when none'),
  state: z.enum(['idle', 'running', 'done', 'failed']).describe('extension: `failed` when the list or the folder could not be read, or the run stopped'),
});

/** The editor's audio library (user token) and the operator's import of it (ADMIN_TOKEN). */
export function mountAudioLibrary(api: ApiRouter, library: AudioLibraryService, importer: AudioLibraryImport): void {
  api.route({
    method: 'get',
    path: '/api/audiolib_files',
    summary: 'List audio library files',
    description:
      'Shared files every user sees, answered like `/api/mediafiles` (entries carry `categoryId` and `moodId`). ' +
      'Sorted by `sort_field` then id, in `sort_order`; `name` sorts case-insensitively by code point.',
    auth: 'user',
    query: listQuery,
    responses: {
      200: { description: 'One page', schema: z.object({ total_count: z.number().int(), entries: z.array(mediaEntrySchema) }) },
    },
    handler: ({ query }) =>
      library.list({
        audiolibType: query.type,
        categoryId: query.category_id,
        moodId: query.mood_id,
        search: query.search,
        sortField: query.sort_field,
        sortOrder: query.sort_order,
        startNumber: query.start_number,
        count: query.count,
      }),
  });

  api.route({
    method: 'get',
    path: '/api/audiolib_files/categories',
    summary: 'Categories of the audio library, with their file counts',
    auth: 'user',
    query: z.object({ type: typeParam }),
    responses: { 200: { description: 'Categories of the type, by name', schema: tagList } },
    handler: ({ query }) => library.categories(query.type),
  });

  api.route({
    method: 'get',
    path: '/api/audiolib_files/moods',
    summary: 'Moods of the audio library, with their file counts',
    auth: 'user',
    query: z.object({ type: typeParam }),
    responses: { 200: { description: 'Moods of the type, by name', schema: tagList } },
    handler: ({ query }) => library.moods(query.type),
  });

  api.route({
    method: 'get',
    path: '/api/audiolib_files/:id',
    summary: 'Get one audio library file',
    description: 'Answered like `/api/mediafiles/<id>`; an id that is not a library file is a 404.',
    auth: 'user',
    params: z.object({ id: z.string().min(1).max(200) }),
    responses: { 200: { description: 'The file', schema: mediaEntrySchema } },
    handler: ({ params }) => library.describe(params.id),
  });

  api.route({
    method: 'post',
    path: '/api/import/audiolib_json',
    summary: 'Import the audio library from its JSON list',
    description:
      'Reads the list at AUDIOLIB_JSON_LIST (files under AUDIOLIB_FILES_DIR) in the background; follow it with the GET. ' +
      'A POST while a run is going on leaves that run alone. 400 when AUDIOLIB_JSON_LIST is not set.',
    auth: 'admin',
    responses: { 200: { description: 'Started (or already running)', schema: z.object({}) } },
    handler: async () => {
      await importer.start();
      return {};
    },
  });

  api.route({
    method: 'get',
    path: '/api/import/audiolib_json',
    summary: 'Progress and errors of the audio library import',
    auth: 'admin',
    errorShape: messageInError({ processedCount: 0, totalCount: 0 }),
    responses: { 200: { description: 'The last run', schema: importStatus } },
    handler: () => importer.status(),
  });
}
