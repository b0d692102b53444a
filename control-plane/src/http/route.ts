import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { badRequest, type EditorApiErrorShape } from './errors.js';
import { EDITOR_API_ERROR_SHAPE } from './error-handler.js';
import { verbatimBody, type VerbatimJson } from './json-body.js';
import type { HeaderSpec, OpenApiRegistry, ResponseSpec } from './openapi.js';
import type { ExactRoutes } from './exact-routes.js';

/**
 * A typed route: the request's params, query and body are validated by zod schemas, which the
 * registry also turns into the OpenAPI document. Handlers return the JSON answer, a `Reply`, or
 * nothing when they wrote the response themselves (streams).
 */

export type AuthKind = 'none' | 'user' | 'apiKey' | 'admin' | 'task';

export interface Principal {
  user: { id: string; developerId: string | null };
  apiKey: { developerId: string };
  admin: { admin: true };
  /** A render node's per-task token, checked against its task by the work queue. */
  task: { token: string };
  none: undefined;
}

export type Authenticate = <A extends AuthKind>(kind: A, req: Request) => Promise<Principal[A]>;

export interface RouteContext<P, Q, B, A extends AuthKind> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  /** The body members named in `verbatimMembers`, as the exact bytes the client sent. */
  verbatim: ReadonlyMap<string, VerbatimJson>;
  auth: Principal[A];
}

export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export interface RouteSpec<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined, A extends AuthKind> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  description?: string;
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Top-level body members stored as sent (megabytes of project data): checked as JSON but
   * never parsed, handed over in `verbatim`. The body schema sees them as their bytes.
   */
  verbatimMembers?: readonly string[];
  /** Errors answered in the editor API endpoint's own shape (see `EditorApiErrorShape`) rather than `{error: {...}}`. */
  errorShape?: EditorApiErrorShape;
  /** For bodies that are not JSON (uploads): their media type, documented only. */
  rawBody?: string;
  /** Request headers the route reads, documented. */
  requestHeaders?: Record<string, HeaderSpec>;
  responses: Record<number, ResponseSpec>;
  /**
   * Error statuses particular to the route, with when (403, 507, 514...). Those every route of
   * its kind can answer (400 for a bad parameter, 401/404 for credentials, 413/415 for a body,
   * 500) are added to the document by themselves.
   */
  errors?: Record<number, string>;
  handler: (ctx: RouteContext<Out<P>, Out<Q>, Out<B>, A>) => Promise<unknown>;
}

/** The `verbatim` of routes that take no member verbatim. */
const NO_VERBATIM: ReadonlyMap<string, VerbatimJson> = new Map();

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

const securityOf: Record<AuthKind, string | undefined> = {
  none: undefined,
  user: 'authToken',
  apiKey: 'apiKey',
  admin: 'adminToken',
  task: 'taskToken',
};

export function formatZodError(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      const at = issue.path.length > 0 ? issue.path.join('.') : where;
      return `${at}: ${issue.message}`;
    })
    .join('; ');
}

function parse<S extends z.ZodType | undefined>(schema: S, value: unknown, where: string): Out<S> {
  if (!schema) return undefined as Out<S>;
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(formatZodError(result.error, where));
  return result.data as Out<S>;
}

/** Every error status a route can answer: those of its kind, then its own. */
function errorStatuses(
  spec: Pick<RouteSpec<undefined, undefined, undefined, AuthKind>, 'auth' | 'errors'> & { params?: unknown; query?: unknown; body?: unknown },
): Record<number, string> {
  const errors: Record<number, string> = {};
  if (spec.params || spec.query || spec.body) errors[400] = 'A parameter or the body is not valid; the message names it';
  if (spec.auth !== 'none')
    errors[401] =
      spec.auth === 'user' ? 'No token was sent' : spec.auth === 'apiKey' ? 'No apiKey, or not a valid one' : 'No ADMIN_TOKEN, or not the right one';
  if (spec.auth === 'user') errors[404] = spec.params ? 'No user for the token, or no such object of the user' : 'No user for the token';
  else if (spec.params) errors[404] = 'No such object';
  if (spec.body) {
    errors[413] = 'The body is larger than BODY_LIMIT';
    errors[415] = 'The body is not JSON (application/json, text/plain or no Content-Type)';
  }
  errors[500] = 'Internal error';
  return { ...errors, ...spec.errors };
}

/**
 * `?sort_field=&count=` is what a client sends for a value it does not have: an empty query
 * value means the parameter was left out, so its default applies.
 */
function withoutEmptyValues(query: Request['query']): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}

export class ApiRouter {
  constructor(
    private readonly router: Router,
    private readonly registry: OpenApiRegistry,
    private readonly authenticate: Authenticate,
    private readonly tag: string,
    /** Read and check a JSON body; they run only on routes that declare one. */
    private readonly jsonBodyReaders: RequestHandler[] = [],
    /** Where routes without parameters are also found before Express walks its routers. */
    private readonly exactRoutes?: ExactRoutes,
  ) {}

  route<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined, A extends AuthKind>(
    spec: RouteSpec<P, Q, B, A>,
  ): void {
    this.registry.add({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      description: spec.description,
      tags: [this.tag],
      security: securityOf[spec.auth],
      params: spec.params,
      query: spec.query,
      body: spec.body,
      rawBody: spec.rawBody,
      requestHeaders: spec.requestHeaders,
      responses: spec.responses,
      errors: errorStatuses(spec),
      errorSchema: spec.errorShape?.schema,
    });
    const successStatus = Number(Object.keys(spec.responses)[0] ?? 200);
    const readers = spec.body ? this.jsonBodyReaders : [];
    const shape: RequestHandler[] = spec.errorShape
      ? [
          (_req, res, next) => {
            res.locals[EDITOR_API_ERROR_SHAPE] = spec.errorShape;
            next();
          },
        ]
      : [];
    const route = this.router.route(spec.path);
    this.exactRoutes?.add(this.router, spec.method, spec.path, route);
    route[spec.method](...shape, ...readers, async (req: Request, res: Response) => {
      // Routes open to anyone and routes without a query skip those steps (and their promise, and
      // Express's parse of the query string): the cheapest routes are the ones polled most.
      const auth = spec.auth === 'none' ? undefined : await this.authenticate(spec.auth, req);
      const params = parse(spec.params, req.params, 'path');
      const query = spec.query ? parse(spec.query, withoutEmptyValues(req.query), 'query') : undefined;
      const given = spec.verbatimMembers ? verbatimBody(req, spec.verbatimMembers) : { body: spec.body ? req.body : undefined, verbatim: NO_VERBATIM };
      const body = parse(spec.body, spec.body ? (given.body ?? {}) : undefined, 'body');
      const result = await spec.handler({ req, res, params, query, body, verbatim: given.verbatim, auth } as RouteContext<Out<P>, Out<Q>, Out<B>, A>);
      if (res.headersSent) return;
      if (result instanceof Reply) {
        res.set(result.headers).status(result.status);
        if (result.body === undefined) res.end();
        else res.json(result.body);
        return;
      }
      sendJson(req, res, successStatus, result ?? {});
    });
  }
}

/**
 * A JSON answer as `res.json` writes it (same bytes and headers), without Express's passes over
 * it (settings lookups, Content-Type parsing, freshness). Conditional requests and answers
 * without a body go through `res.json`, which handles them.
 */
export function sendJson(req: Request, res: Response, status: number, body: unknown): void {
  if (status === 204 || status === 304 || req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) {
    res.status(status).json(body);
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (req.method === 'HEAD') res.end();
  else res.end(text);
}

/** The same for an answer already serialized (`JSON.stringify`'s bytes, as UTF-8). */
export function sendJsonBytes(req: Request, res: Response, status: number, bytes: Buffer): void {
  if (status === 204 || status === 304 || req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) {
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.status(status).send(bytes);
    return;
  }
  res.statusCode = status;
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', bytes.length);
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
}
