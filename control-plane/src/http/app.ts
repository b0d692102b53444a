import http from 'node:http';
import type { Socket } from 'node:net';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import type { CpuPool } from '../project-data/index.js';
import { jsonBodies } from './json-body.js';
import type { TrustFunction } from './client-address.js';
import { securityHeaders } from './security-headers.js';
import { front, headersOf, installRequestLogger } from './front.js';
import { ExactRoutes } from './exact-routes.js';

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  corsOrigins: string[] | '*';
  bodyLimitBytes: number;
  cpu: CpuPool;
  /** Which proxies' X-Forwarded-For is believed (req.ip). */
  trustProxy: TrustFunction;
}

/**
 * The Express application around the routers: request ids and logs, security headers, metrics,
 * CORS, and the JSON error model at the end. `mount` adds the routes, with the JSON body readers
 * that the routes taking a JSON body run (only those: an upload's bytes are never read as JSON)
 * and the table of routes without parameters that `ApiRouter` fills (see `ExactRoutes`).
 */
export function createHttpApp(
  options: HttpAppOptions,
  mount: (app: Express, parts: { jsonBodyReaders: RequestHandler[]; exactRoutes: ExactRoutes }) => void,
  /** Routes that read their request body as a stream, whatever its Content-Type (signed object uploads). */
  mountStreaming?: (app: Express, exactRoutes: ExactRoutes) => void,
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy);
  installRequestLogger(app, options.logger);
  const exactRoutes = new ExactRoutes();
  app.use(
    front({
      logger: options.logger,
      metrics: options.metrics,
      corsOrigins: options.corsOrigins,
      fixedHeaders: headersOf(securityHeaders()),
      then: exactRoutes.handler(),
    }),
  );
  const routesFrom = app.router.stack.length;
  mountStreaming?.(app, exactRoutes);
  mount(app, { jsonBodyReaders: jsonBodies(options.bodyLimitBytes, options.cpu), exactRoutes });
  exactRoutes.keepRoutesBefore(app.router.stack.slice(routesFrom));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

/**
 * The HTTP server of `app`, whose requests and responses are made with the app's request and
 * response prototypes (`app.request`, `app.response`) from the start. Express gives every request
 * those prototypes on arrival (`Object.setPrototypeOf` on the request and on the response, in
 * `app.handle`): on objects that already have them that step changes nothing, where otherwise the
 * request's two objects change shape once more, which V8 makes costly. The objects are built by
 * Node's own constructors, with their layout (`Reflect.construct`), and stay Node's objects
 * (`instanceof http.IncomingMessage` holds).
 */
export function createHttpServer(app: Express): http.Server {
  function AppRequest(socket: Socket): http.IncomingMessage {
    return Reflect.construct(http.IncomingMessage, [socket], AppRequest) as http.IncomingMessage;
  }
  AppRequest.prototype = app.request;
  function AppResponse(req: http.IncomingMessage, options: unknown): http.ServerResponse {
    return Reflect.construct(http.ServerResponse, [req, options], AppResponse) as http.ServerResponse;
  }
  AppResponse.prototype = app.response;
  return http.createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof http.IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof http.ServerResponse,
    },
    app,
  );
}
