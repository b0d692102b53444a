import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import type { IdentityService } from '../services/identity/identity.js';

const userBody = z.object({
  name: z.string().max(1000).optional(),
  data: z.string().max(1_000_000).optional().describe('Custom data, sent back as `userData` in callbacks.'),
  apiKey: z.string().max(200).optional().describe('Ties the user to a developer account.'),
  apiAuthToken: z.string().max(4096).optional().describe("Sent as the Authorization header to the developer's custom URLs."),
});
const idAnswer = z.object({ id: z.string() });
const idParam = z.object({ id: z.string().min(1).max(200) });

/**
 * The editor API shows no Authorization header on these: a user's id is an unguessable session id,
 * and holding it is what lets an integrator's server read and update that user.
 */
export function mountUsers(api: ApiRouter, identity: IdentityService): void {
  api.route({
    method: 'post',
    path: '/api/users',
    summary: 'Create a user (an editor session)',
    description: 'With an `apiKey` the user belongs to that developer. Without one, only when open registration is enabled (403 otherwise).',
    auth: 'none',
    body: userBody,
    responses: { 200: { description: 'The new user id; open the editor with `?session_id=<id>`.', schema: idAnswer } },
    errors: { 401: 'An apiKey that is not valid', 403: 'No apiKey while open registration is off' },
    handler: ({ body }) => identity.createUser(body),
  });

  api.route({
    method: 'patch',
    path: '/api/users/:id',
    summary: 'Update a user',
    auth: 'none',
    params: idParam,
    body: userBody,
    responses: { 200: { description: 'Updated', schema: idAnswer } },
    handler: ({ params, body }) => identity.updateUser(params.id, body),
  });

  api.route({
    method: 'get',
    path: '/api/users/:id',
    summary: "Get a user's name and data",
    auth: 'none',
    params: idParam,
    responses: {
      200: { description: 'The user ("" for a field never given)', schema: z.object({ name: z.string(), data: z.string() }) },
    },
    handler: ({ params }) => identity.getUser(params.id),
  });
}
