import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  HttpError,
  badRequest,
  insufficientStorage,
  internalError,
  notFound,
  payloadTooLarge,
  serviceUnavailable,
  type EditorApiErrorShape,
} from './errors.js';
import { isDependencyUnavailable } from './dependency-unavailable.js';
import { isDiskFull } from '../storage/disk-full.js';
import { ClientGoneError } from './client-gone.js';

/** Where a route that answers errors in its editor API shape leaves that shape for the error handler. */
export const EDITOR_API_ERROR_SHAPE = 'editorApiErrorShape';

/**
 * Maps every failure to a JSON error body with the editor API's status; never a stack trace or HTML.
 * A route may ask for its editor API shape (`res.locals.editorApiErrorShape`), which then holds every
 * error of that route: its body, its token, its parameters, the service's refusal.
 */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error instanceof ClientGoneError) {
    req.log?.debug('the client left before its answer was ready');
    return;
  }
  const httpError = toHttpError(error);
  if (httpError.status >= 500) req.log?.error({ err: error }, 'request failed');
  // A refusal before the body was read: the rest of it is still on the connection, which cannot
  // carry another request; closing it tells the client not to reuse it.
  if (!req.complete) res.set('Connection', 'close');
  const shape = res.locals[EDITOR_API_ERROR_SHAPE] as EditorApiErrorShape | undefined;
  res
    .set(httpError.headers)
    .status(httpError.status)
    .json(shape ? shape.body(httpError) : httpError.toBody());
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(notFound(`no route for ${req.method} ${req.path}`));
};

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const bodyParserType = (error as { type?: unknown } | null)?.type;
  switch (bodyParserType) {
    case 'entity.parse.failed':
      return badRequest(`malformed JSON body: ${(error as Error).message}`);
    case 'entity.too.large':
      return payloadTooLarge('the request body is larger than the server accepts (BODY_LIMIT)');
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'entity.verify.failed':
      return badRequest((error as Error).message);
    default:
      if (isDiskFull(error)) return insufficientStorage('low_disk_space', 'the server is out of disk space; try again later');
      if (isDependencyUnavailable(error)) {
        return serviceUnavailable('a service Cutroom depends on (the database or the object store) cannot be reached; retry shortly').withHeaders({
          'Retry-After': '5',
        });
      }
      return internalError();
  }
}
