import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import cors from 'cors';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';

/**
 * What every request goes through first, in one middleware: its id (X-Request-Id), its access
 * log line, its duration in the metrics, the security headers and CORS. One function instead of
 * a chain of twenty (pino-http, helmet's thirteen, cors, timers) because on a small answer that
 * chain costs more than the answer: the headers are worked out once at start, the request's
 * logger is made only when something logs, and one `close` listener writes both the log line
 * and the metric. The headers, log lines and metrics are those the chain gave.
 */

export interface FrontOptions {
  logger: Logger;
  metrics: Metrics;
  corsOrigins: string[] | '*';
  /** Header name and value pairs set on every answer (the security headers), in order. */
  fixedHeaders: ReadonlyArray<readonly [string, string]>;
  /** What runs next in the same step (the routes without parameters), rather than in a layer of its own. */
  then?: RequestHandler;
}

declare module 'http' {
  interface IncomingMessage {
    /** The request's id, as echoed in X-Request-Id. */
    id: string;
    /** The request's logger, bound to its id, method and URL (see `installRequestLogger`). */
    log: Logger;
  }
}

/** Headers a client may read on a cross-origin answer. */
export const EXPOSED_HEADERS = ['Range', 'Content-Range', 'Accept-Ranges', 'Content-Length', 'X-Request-Id'];
const EXPOSED = EXPOSED_HEADERS.join(',');

/** Paths the orchestrator and Prometheus poll: no access log line for them. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const GIVEN_ID = /^[\w.-]{1,100}$/;

const REQUEST_LOG = Symbol('requestLog');
const LOG_BINDINGS = Symbol('logBindings');
const ACCESS_LOG = Symbol('accessLog');
const STARTED = Symbol('startedMs');

interface FrontRequest extends IncomingMessage {
  originalUrl?: string;
  [REQUEST_LOG]?: Logger;
  /** Fields bound to `req.log` before it was made (`bindRequestLog`). */
  [LOG_BINDINGS]?: Record<string, unknown>;
  [ACCESS_LOG]?: Logger;
}

interface FrontResponse extends ServerResponse {
  req: FrontRequest & { route?: { path?: unknown }; baseUrl?: string };
  [STARTED]?: number;
}

// Request ids are 128 random bits like every other id (ids.ts), cut from a pool of random bytes
// drawn 256 ids at a time: one call into the random source per id is most of an id's cost.
let idPool = Buffer.alloc(0);
let idAt = 0;

/** An id for a request that brought none: 22 URL-safe characters. */
export function newRequestId(): string {
  if (idAt + 16 > idPool.length) {
    idPool = randomBytes(16 * 256);
    idAt = 0;
  }
  const id = idPool.toString('base64url', idAt, idAt + 16);
  idAt += 16;
  return id;
}

/** The request line as logs show it: tokens and URL signatures are credentials, never in logs. */
function loggedRequest(req: FrontRequest): { method: string; url: string } {
  const url = req.originalUrl ?? req.url ?? '';
  return { method: req.method ?? '', url: url.replace(/([?&](?:auth_token|sig)=)[^&]*/g, '$1*') };
}

function requestLogger(base: Logger, req: FrontRequest): Logger {
  return (req[ACCESS_LOG] ??= base.child({ reqId: req.id, req: loggedRequest(req) }));
}

/**
 * `req.log`: the request's logger (bound to its id, method and URL, and to what `bindRequestLog`
 * added), made on first use. Routes that learn more bind it (`bindRequestLog`) or replace it.
 */
export function installRequestLogger(app: Express, base: Logger): void {
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: FrontRequest) {
      if (this[REQUEST_LOG]) return this[REQUEST_LOG];
      const bindings = this[LOG_BINDINGS];
      this[LOG_BINDINGS] = undefined;
      return (this[REQUEST_LOG] = bindings ? requestLogger(base, this).child(bindings) : requestLogger(base, this));
    },
    set(this: FrontRequest, value: Logger) {
      this[LOG_BINDINGS] = undefined;
      this[REQUEST_LOG] = value;
    },
  });
}

/**
 * Binds fields (the user) to the request's logger, as `req.log = req.log.child(bindings)` would,
 * but only once something logs: most requests log nothing, and two pino children (the request's,
 * then the user's) per request were a measurable share of a small answer's cost.
 */
export function bindRequestLog(req: IncomingMessage, bindings: Record<string, unknown>): void {
  const front = req as FrontRequest;
  if (front[REQUEST_LOG]) front[REQUEST_LOG] = front[REQUEST_LOG].child(bindings);
  else front[LOG_BINDINGS] = front[LOG_BINDINGS] ? { ...front[LOG_BINDINGS], ...bindings } : bindings;
}

export function front(options: FrontOptions): RequestHandler {
  const { logger, metrics, fixedHeaders, then } = options;
  const anyOrigin = options.corsOrigins === '*';
  const origins = new Set(anyOrigin ? [] : options.corsOrigins);
  // Preflights are rare: the cors package answers them as it always did.
  const preflight = cors({ origin: anyOrigin ? true : (options.corsOrigins as string[]), exposedHeaders: EXPOSED_HEADERS, maxAge: 600 });

  const finish = (res: FrontResponse) => {
    const req = res.req;
    const status = res.statusCode;
    const ok = status < 500;
    if (res.writableFinished) {
      // The matched route pattern, not the raw path: ids would explode the label set.
      const route = req.route?.path ? `${req.baseUrl ?? ''}${String(req.route.path)}` : 'unmatched';
      metrics.httpDuration.observe({ method: req.method ?? '', route, status: String(status) }, (performance.now() - res[STARTED]!) / 1000);
    }
    if (QUIET_PATHS.has(req.originalUrl ?? req.url ?? '')) return;
    const level = ok ? 'debug' : 'error';
    if (!logger.isLevelEnabled(level)) return;
    const responseTime = Date.now() - (res as unknown as Response).locals.receivedAtMs;
    const log = requestLogger(logger, req);
    if (!ok) {
      log.error({ res: { statusCode: status }, err: new Error(`failed with status code ${status}`), responseTime }, 'request errored');
    } else {
      const completed = !(req as { readableAborted?: boolean }).readableAborted && res.writableEnded;
      log.debug({ res: { statusCode: status }, responseTime }, completed ? 'request completed' : 'request aborted');
    }
  };
  // One listener for every response (no closure per request): 'close' calls it with the response as `this`.
  const finished = function (this: FrontResponse) {
    finish(this);
  };

  return (req: Request, res: Response, next: NextFunction) => {
    // When the request came, before any work on it: what "when DELETE was received" means.
    res.locals.receivedAtMs = Date.now();
    (res as unknown as FrontResponse)[STARTED] = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && GIVEN_ID.test(given) ? given : newRequestId();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    for (let i = 0; i < fixedHeaders.length; i++) res.setHeader(fixedHeaders[i]![0], fixedHeaders[i]![1]);
    res.on('close', finished);
    if (req.method === 'OPTIONS') {
      preflight(req, res, next);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && (anyOrigin || origins.has(origin))) res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED);
    if (then) then(req, res, next);
    else next();
  };
}

/**
 * The headers a middleware sets on every answer, read once by running it on a stand-in
 * response: helmet's security headers, which do not depend on the request.
 */
export function headersOf(middleware: RequestHandler): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const stub = {
    setHeader(name: string, value: unknown) {
      const at = headers.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
      if (at >= 0) headers.splice(at, 1);
      headers.push([name, String(value)]);
    },
    removeHeader(name: string) {
      const at = headers.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
      if (at >= 0) headers.splice(at, 1);
    },
  };
  let called = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as Request, stub as unknown as Response, () => {
    called = true;
  });
  if (!called) throw new Error('the header middleware did not hand the request on');
  return headers;
}
