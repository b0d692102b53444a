import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.js';

/**
 * The typed HTTP client for Cutroom's own API. Its types are generated from docs/openapi.json
 * (the document made from the server's validating schemas), so a request or an answer that does
 * not match the API fails to compile. The console uses it, and so can tests and integrators.
 */

export type CutroomPaths = paths;
export type CutroomClient = Client<paths>;

/** The editor API's error object, as an exception. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  /** Absolute base URL; '' in a page served by the control plane itself. */
  baseUrl: string;
  /** The `Authorization` value: the editor's token, or the ADMIN_TOKEN. Read on every request. */
  token?: () => string | undefined;
  fetch?: (request: Request) => Promise<Response>;
}

export function createApiClient(options: ApiClientOptions): CutroomClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use({
    onRequest({ request }) {
      const token = options.token?.();
      if (token) request.headers.set('Authorization', token);
      return request;
    },
  });
  return client;
}

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The answer's data, or an `ApiError` made from the editor API's `{error: {type, message}}` body (or
 * `{error: "..."}`, the string the editor API's voiceover calls answer with).
 */
export async function ok<T>(call: Promise<Outcome<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  throw apiErrorOf(response.status, error);
}

export function apiErrorOf(status: number, body: unknown): ApiError {
  const error = (body as { error?: { type?: unknown; message?: unknown } | string } | undefined)?.error;
  if (typeof error === 'string' && error !== '') return new ApiError(status, 'http_error', error, body);
  if (typeof error !== 'object' || error === null) return new ApiError(status, 'http_error', `the server answered ${status}`, body);
  const type = typeof error.type === 'string' ? error.type : 'http_error';
  const message = typeof error.message === 'string' ? error.message : `the server answered ${status}`;
  return new ApiError(status, type, message, body);
}
