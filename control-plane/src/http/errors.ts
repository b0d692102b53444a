import { z } from 'zod';

/**
 * The error model: a small set of typed errors, each mapping to the editor API's error object
 * (`{error: {type, message, title?}}`) and an HTTP status in one place.
 */

export type ErrorType =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'range_not_satisfiable'
  | 'too_many_requests'
  | 'exceeded_file_size'
  | 'exceeded_per_user_size'
  | 'low_disk_space'
  | 'unsupported_media'
  | 'used_in_projects'
  | 'download_error'
  | 'internal_server_error'
  | 'service_unavailable';

export interface ErrorBody {
  type: ErrorType;
  message: string;
  title?: string;
}

export class HttpError extends Error {
  /** Headers sent with the error answer (Retry-After). */
  headers: Record<string, string> = {};

  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly title?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  withHeaders(headers: Record<string, string>): this {
    this.headers = { ...this.headers, ...headers };
    return this;
  }

  toBody(): { error: ErrorBody } {
    const error: ErrorBody = { type: this.type, message: this.message };
    if (this.title !== undefined) error.title = this.title;
    return { error };
  }
}

export const badRequest = (message: string) => new HttpError(400, 'bad_request', message, 'Bad request');
export const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message, 'Unauthorized');
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message, 'Forbidden');
export const notFound = (message = 'not found') => new HttpError(404, 'not_found', message, 'Not found');
export const conflict = (message: string) => new HttpError(409, 'conflict', message, 'Conflict');
export const payloadTooLarge = (message: string) => new HttpError(413, 'payload_too_large', message, 'Payload too large');
export const tooManyRequests = (message: string) => new HttpError(429, 'too_many_requests', message, 'Too many requests');
/** A request body of a type the route does not read (HTTP 415); not the editor API's 514 for media files. */
export const unsupportedContentType = (message: string) => new HttpError(415, 'unsupported_media_type', message, 'Unsupported media type');
export const unsupportedMedia = (message: string) => new HttpError(514, 'unsupported_media', message, 'Unsupported media');
export const insufficientStorage = (type: 'exceeded_file_size' | 'exceeded_per_user_size' | 'low_disk_space', message: string) =>
  new HttpError(507, type, message, 'Upload limit exceeded');
export const serviceUnavailable = (message: string) => new HttpError(503, 'service_unavailable', message, 'Service unavailable');
export const internalError = () => new HttpError(500, 'internal_server_error', 'internal server error', 'Internal server error');
/**
 * A media file or folder that projects mention; `force=1` deletes it anyway. A 400, as the editor API
 * lists its statuses; the type says why.
 */
export const usedInProjects = (message: string) => new HttpError(400, 'used_in_projects', message, 'Used in projects');

/** The editor API's error object, `{type, message, title}`. */
export const errorObjectSchema = z
  .object({
    type: z.string().describe('bad_request, not_found, used_in_projects, exceeded_file_size, unsupported_media, ...'),
    message: z.string(),
    title: z.string().optional(),
  })
  .meta({ id: 'ErrorObject', description: "The editor API's media_error_description_object" });
/** Every error answer but those of routes with an editor API shape: `{error: {type, message, title}}`. */
export const errorBodySchema = z
  .object({ error: errorObjectSchema })
  .meta({ id: 'Error', description: 'Every error answer of a route without an editor API shape' });

/**
 * An error answered in an editor API endpoint's own shape: where the editor API's answer has an `error` or
 * `status` string, the message goes there, and the structured error rides beside it.
 */
export interface EditorApiErrorShape {
  body(error: HttpError): Record<string, unknown>;
  /** The body, for the OpenAPI document. */
  schema: z.ZodType;
}

/**
 * For answers whose `error` is the editor API's string (`{taskId, fileId, error}`): the other fields
 * keep their type with an empty value, and the error object goes in `errorDetail`.
 */
export function messageInError(fields: Record<string, string | number>): EditorApiErrorShape {
  return {
    body: (error) => ({ ...fields, error: error.message, errorDetail: error.toBody().error }),
    schema: z.object({
      ...Object.fromEntries(
        Object.entries(fields).map(([name, value]) => [
          name,
          typeof value === 'number' ? z.number().describe(`${value} on errors`) : z.string().describe('"" on errors'),
        ]),
      ),
      error: z.string().describe('The error message'),
      errorDetail: errorObjectSchema,
    }),
  };
}

/** For answers with the editor API's `status` string (`{status, thumbnails}`), beside the usual `error` object. */
export function messageInStatus(fields: Record<string, unknown> = {}, fieldSchemas: Record<string, z.ZodType> = {}): EditorApiErrorShape {
  return {
    body: (error) => ({ status: error.message, ...fields, ...error.toBody() }),
    schema: z.object({ status: z.string().describe('The error message'), ...fieldSchemas, error: errorObjectSchema }),
  };
}
