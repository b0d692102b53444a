import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { badRequest } from './errors.js';
import { verbatimBody, type VerbatimJson } from './json-body.js';
import type { OpenApiRegistry, ResponseSpec } from './openapi.js';

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
  verbatim: Map<string, VerbatimJson>;
  auth: Principal[A];
}

export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export interface RouteSpec<
  P extends z.ZodObject | undefined,
  Q extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
  A extends AuthKind,
> {
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
  /** For bodies that are not JSON (uploads): their media type, documented only. */
  rawBody?: string;
  responses: Record<number, ResponseSpec>;
  handler: (
    ctx: RouteContext<Out<P>, Out<Q>, Out<B>, A>,
  ) => Promise<unknown>;
}

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

export class ApiRouter {
  constructor(
    private readonly router: Router,
    private readonly registry: OpenApiRegistry,
    private readonly authenticate: Authenticate,
    private readonly tag: string,
  ) {}

  route<
    P extends z.ZodObject | undefined,
    Q extends z.ZodObject | undefined,
    B extends z.ZodType | undefined,
    A extends AuthKind,
  >(spec: RouteSpec<P, Q, B, A>): void {
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
      responses: spec.responses,
    });
    const successStatus = Number(Object.keys(spec.responses)[0] ?? 200);
    this.router[spec.method](spec.path, async (req: Request, res: Response) => {
      const auth = await this.authenticate(spec.auth, req);
      const params = parse(spec.params, req.params, 'path');
      const query = parse(spec.query, req.query, 'query');
      const given = spec.verbatimMembers
        ? verbatimBody(req, spec.verbatimMembers)
        : { body: spec.body ? req.body : undefined, verbatim: new Map<string, VerbatimJson>() };
      const body = parse(spec.body, spec.body ? (given.body ?? {}) : undefined, 'body');
      const result = await spec.handler({ req, res, params, query, body, verbatim: given.verbatim, auth } as RouteContext<
        Out<P>,
        Out<Q>,
        Out<B>,
        A
      >);
      if (res.headersSent) return;
      if (result instanceof Reply) {
        res.set(result.headers).status(result.status);
        if (result.body === undefined) res.end();
        else res.json(result.body);
        return;
      }
      res.status(successStatus).json(result ?? {});
    });
  }
}
