import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { badRequest } from '../http/errors.js';
import { ROOT_FOLDER, type FolderService } from '../services/library/folders.js';
import { folderParam, forceParam } from './media-files.js';

const folderName = z
  .string()
  .max(255)
  .refine((name) => name.trim() !== '', 'a folder name cannot be blank');
const idParam = z.object({ id: z.string().min(1).max(200) });
const idList = z.array(z.string().min(1).max(200)).max(10_000);

/** The editor API's folder endpoints; a folder id of another user answers 404 like a missing one. */
export function mountFolders(api: ApiRouter, folders: FolderService): void {
  api.route({
    method: 'post',
    path: '/api/folders',
    summary: 'Create a folder',
    auth: 'user',
    body: z.object({ name: folderName, folder: folderParam.describe('Parent folder id; absent, null or `root`: the root') }),
    responses: { 200: { description: 'The new folder id', schema: z.object({ id: z.string() }) } },
    handler: ({ auth, body }) => folders.create(auth.id, body.name, body.folder),
  });

  api.route({
    method: 'patch',
    path: '/api/folders/:id',
    summary: 'Rename a folder',
    auth: 'user',
    params: idParam,
    body: z.object({ name: folderName.optional() }),
    responses: { 200: { description: 'Renamed', schema: z.object({}) } },
    handler: async ({ auth, params, body }) => {
      if (params.id === ROOT_FOLDER) throw badRequest('the root folder cannot be renamed');
      await folders.rename(auth.id, params.id, body.name);
      return {};
    },
  });

  api.route({
    method: 'delete',
    path: '/api/folders/:id',
    summary: 'Delete a folder with everything in it, recursively',
    description: '409 `used_in_projects` when a project mentions a file inside, unless `force=1`.',
    auth: 'user',
    params: idParam,
    query: z.object({ force: forceParam }),
    responses: { 200: { description: 'Deleted', schema: z.object({}) } },
    errors: { 400: 'A project uses a file inside: `{error: {type: "used_in_projects"}}`, unless force=1; the root; or a bad parameter' },
    handler: async ({ auth, params, query }) => {
      if (params.id === ROOT_FOLDER) throw badRequest('the root folder cannot be deleted');
      await folders.delete(auth.id, params.id, query.force);
      return {};
    },
  });

  api.route({
    method: 'put',
    path: '/api/folders/:id/entries',
    summary: 'Move files and folders into a folder (`root` for the root)',
    description:
      'All or nothing: an id that is not the user’s answers 404 and nothing moves; moving a folder into itself or below itself is 400; shared test media cannot move (403).',
    auth: 'user',
    params: idParam,
    body: z.object({ files: idList.optional(), folders: idList.optional() }),
    responses: { 200: { description: 'Moved', schema: z.object({}) } },
    errors: { 403: 'Shared media cannot move' },
    handler: async ({ auth, params, body }) => {
      const target = params.id === ROOT_FOLDER ? null : params.id;
      await folders.move(auth.id, target, body.files ?? [], body.folders ?? []);
      return {};
    },
  });
}
