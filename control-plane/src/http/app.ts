import express, { type Express, type Request, type RequestHandler, type Response, type NextFunction } from 'express';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { newId } from '../ids.js';
import type { Metrics } from '../metrics.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import type { CpuPool } from '../project-data/index.js';
import { jsonBodies } from './json-body.js';
import type { TrustFunction } from './client-address.js';
import { securityHeaders } from './security-headers.js';

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
  // When the request came, before any work on it: what "when DELETE was received" means.
  app.use((_req, res, next) => {
    res.locals.receivedAtMs = Date.now();
    next();
  });

  app.use(
    pinoHttp({
      logger: options.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : newId();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'debug'),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      serializers: {
        // Tokens and URL signatures are credentials: never in logs.
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.replace(/([?&](?:auth_token|sig)=)[^&]*/g, '$1*') }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(securityHeaders());
  app.use(recordDuration(options.metrics));
  app.use(
    cors({
      origin: options.corsOrigins === '*' ? true : options.corsOrigins,
      exposedHeaders: ['Range', 'Content-Range', 'Accept-Ranges', 'Content-Length', 'X-Request-Id'],
      maxAge: 600,
    }),
  );
  mountStreaming?.(app);
  mount(app, jsonBodies(options.bodyLimitBytes, options.cpu));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

function recordDuration(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      // The matched route pattern, not the raw path: ids would explode the label set.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
