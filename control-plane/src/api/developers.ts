import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { developerSettingsSchema, developerViewSchema, type DevelopersService } from '../services/identity/developers.js';

const idParam = z.object({ id: z.string().min(1).max(200) });
const keyAnswer = z.object({
  id: z.string(),
  apiKey: z.string().describe('Shown only in this answer.'),
  callbackSecret: z.string().describe('Key of the X-Cutroom-Signature HMAC on callbacks; shown only in this answer.'),
});

/** The admin API for developer accounts, guarded by ADMIN_TOKEN. */
export function mountDevelopers(api: ApiRouter, developers: DevelopersService): void {
  api.route({
    method: 'post',
    path: '/api/developers',
    summary: 'Create a developer account',
    auth: 'admin',
    body: developerSettingsSchema,
    responses: { 200: { description: 'The account id and its apiKey', schema: keyAnswer } },
    handler: ({ body }) => developers.create(body),
  });

  api.route({
    method: 'get',
    path: '/api/developers',
    summary: 'List developer accounts',
    auth: 'admin',
    responses: { 200: { description: 'Accounts', schema: z.object({ entries: z.array(developerViewSchema) }) } },
    handler: async () => ({ entries: await developers.list() }),
  });

  api.route({
    method: 'get',
    path: '/api/developers/:id',
    summary: 'Get a developer account (secrets masked)',
    auth: 'admin',
    params: idParam,
    responses: { 200: { description: 'The account', schema: developerViewSchema } },
    handler: ({ params }) => developers.get(params.id),
  });

  api.route({
    method: 'patch',
    path: '/api/developers/:id',
    summary: "Update a developer account's settings",
    description: 'Fields left out stay as they are; `null` clears one. A masked `awsSecreteKey` keeps the stored secret.',
    auth: 'admin',
    params: idParam,
    body: developerSettingsSchema.partial(),
    responses: { 200: { description: 'The account', schema: developerViewSchema } },
    handler: ({ params, body }) => developers.update(params.id, body),
  });

  api.route({
    method: 'post',
    path: '/api/developers/:id/rotate-key',
    summary: 'Replace the apiKey and the callback secret (the old ones stop working at once)',
    auth: 'admin',
    params: idParam,
    responses: { 200: { description: 'The new apiKey', schema: keyAnswer } },
    handler: ({ params }) => developers.rotateKey(params.id),
  });

  api.route({
    method: 'delete',
    path: '/api/developers/:id',
    summary: 'Delete a developer account',
    description: 'Its users stay, no longer tied to a developer.',
    auth: 'admin',
    params: idParam,
    responses: { 200: { description: 'Deleted', schema: z.object({}) } },
    handler: async ({ params }) => {
      await developers.delete(params.id);
      return {};
    },
  });
}
