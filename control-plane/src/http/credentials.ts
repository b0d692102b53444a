import type { Request } from 'express';

/**
 * The token a request carries: `Authorization: <token>` (the editor API's raw form),
 * `Authorization: Bearer <token>`, or the `auth_token` query parameter the editor API shows.
 */
export function requestToken(req: Request): string | undefined {
  const header = req.get('authorization')?.trim();
  if (header) return header.replace(/^Bearer\s+/i, '');
  const query = req.query.auth_token;
  return typeof query === 'string' && query !== '' ? query : undefined;
}
