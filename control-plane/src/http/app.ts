import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import type { CpuPool } from '../project-data/index.js';
import { jsonBodies } from './json-body.js';
import type { TrustFunction } from './client-address.js';
import { securityHeaders } from './security-headers.js';
import { front, headersOf, installRequestLogger } from './front.js';

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
 * that the routes taking a JSON body run (only those: an upload's bytes are never read as JSON).
 */
export function createHttpApp(
  options: HttpAppOptions,
  mount: (app: Express, jsonBodyReaders: RequestHandler[]) => void,
  /** Routes that read their request body as a stream, whatever its Content-Type (signed object uploads). */
  mountStreaming?: (app: Express) => void,
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy);
  installRequestLogger(app, options.logger);
  app.use(front({ logger: options.logger, metrics: options.metrics, corsOrigins: options.corsOrigins, fixedHeaders: headersOf(securityHeaders()) }));
  mountStreaming?.(app);
  mount(app, jsonBodies(options.bodyLimitBytes, options.cpu));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
