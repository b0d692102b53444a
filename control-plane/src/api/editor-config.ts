import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { UsersRepository } from '../db/users-repository.js';

const configSchema = z.object({
  userId: z.string(),
  apiAuthToken: z.string().nullable().describe("Send as the Authorization header to the developer's custom URLs."),
  fetchFileUrl: z.string().nullable(),
  mediaTabContentUrl: z.string().nullable(),
  fetchThumbnailUrl: z.string().nullable(),
});

/** `GET /api/config`: what the editor in the browser needs to call its developer's custom URLs. */
export function mountEditorConfig(api: ApiRouter, db: Kysely<DB>): void {
  const users = new UsersRepository(db);
  api.route({
    method: 'get',
    path: '/api/config',
    summary: "The editor's configuration for the current user",
    description: "The developer's custom media URLs (null when the user has no developer, or the developer has not set them) and the user's apiAuthToken.",
    auth: 'user',
    responses: { 200: { description: 'Configuration', schema: configSchema } },
    handler: async ({ auth }) => {
      const row = await users.editorConfig(auth.id);
      // An authenticated user exists: its token is bound to it.
      if (!row) throw new Error(`no user ${auth.id}`);
      return row;
    },
  });
}
