/**
 * The error model: a small set of typed errors, each mapping to the seed's error object
 * (`{error: {type, message, title?}}`) and an HTTP status in one place.
 */

export type ErrorType =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
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
export const payloadTooLarge = (message: string) =>
  new HttpError(413, 'payload_too_large', message, 'Payload too large');
export const tooManyRequests = (message: string) => new HttpError(429, 'too_many_requests', message, 'Too many requests');
export const unsupportedMedia = (message: string) =>
  new HttpError(514, 'unsupported_media', message, 'Unsupported media');
export const insufficientStorage = (
  type: 'exceeded_file_size' | 'exceeded_per_user_size' | 'low_disk_space',
  message: string,
) => new HttpError(507, type, message, 'Upload limit exceeded');
export const serviceUnavailable = (message: string) =>
  new HttpError(503, 'service_unavailable', message, 'Service unavailable');
export const internalError = () =>
  new HttpError(500, 'internal_server_error', 'internal server error', 'Internal server error');
/** A media file or folder that projects mention; `force=1` deletes it anyway. */
export const usedInProjects = (message: string) => new HttpError(409, 'used_in_projects', message, 'Used in projects');
