import { z } from 'zod';
import { errorBodySchema } from './errors.js';
import { isEditorApiRoute } from './editor-api-routes.js';

/**
 * Collects every route's schemas as it is mounted, so the OpenAPI document is produced
 * from the very schemas that validate requests. Schemas given an id (`.meta({ id })`) become
 * shared component schemas, written once and referenced wherever they are used.
 */

export interface HeaderSpec {
  description: string;
  required?: boolean;
  /** A JSON schema; a string when left out. */
  schema?: Record<string, unknown>;
}

export interface OpenApiOperation {
  method: string;
  path: string;
  summary: string;
  description?: string | undefined;
  tags: string[];
  security: string | undefined;
  params?: z.ZodObject | undefined;
  query?: z.ZodObject | undefined;
  body?: z.ZodType | undefined;
  /** Media type of a body that is not JSON (uploads). */
  rawBody?: string | undefined;
  requestHeaders?: Record<string, HeaderSpec> | undefined;
  responses: Record<number, ResponseSpec>;
  /** Every error status the route can answer, with when. */
  errors: Record<number, string>;
  /** The error answer's body, when the route answers errors in its editor API shape. */
  errorSchema?: z.ZodType | undefined;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType | undefined;
  /** Media type when the answer is not JSON. */
  contentType?: string | undefined;
  headers?: Record<string, HeaderSpec> | undefined;
}

const COMPONENTS = '#/components/schemas/';

export class OpenApiRegistry {
  private readonly operations: OpenApiOperation[] = [];

  add(operation: OpenApiOperation): void {
    this.operations.push(operation);
  }

  document(info: { title: string; version: string; serverUrl?: string }): Record<string, unknown> {
    const components: Record<string, unknown> = {};
    /** A JSON schema with every schema that has an id moved into the components and referenced. */
    const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
      const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
      delete out.$schema;
      // A schema's input and output differ where it transforms: inputs get components of their own.
      const name = (id: string) => (io === 'input' ? `${id}Input` : id);
      const defs = (out.$defs ?? {}) as Record<string, unknown>;
      delete out.$defs;
      for (const [id, def] of Object.entries(defs)) components[name(id)] ??= rewriteRefs(def, name);
      return rewriteRefs(out, name) as Record<string, unknown>;
    };
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.operations) {
      const openApiPath = op.path.replace(/[:*]([A-Za-z_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, schema] of [
        ['path', op.params],
        ['query', op.query],
      ] as const) {
        if (!schema) continue;
        for (const [name, field] of Object.entries(schema.shape)) {
          const fieldSchema = field as z.ZodType;
          parameters.push({
            name,
            in: where,
            required: where === 'path' || !fieldSchema.safeParse(undefined).success,
            description: fieldSchema.description,
            schema: jsonSchema(fieldSchema, 'input'),
          });
        }
      }
      for (const [name, header] of Object.entries(op.requestHeaders ?? {})) {
        parameters.push({
          name,
          in: 'header',
          required: header.required ?? false,
          description: header.description,
          schema: header.schema ?? { type: 'string' },
        });
      }
      const responses: Record<string, unknown> = {};
      for (const [status, spec] of Object.entries(op.responses)) {
        responses[status] = {
          description: spec.description,
          ...(spec.headers ? { headers: headersObject(spec.headers) } : {}),
          ...(spec.schema
            ? { content: { [spec.contentType ?? 'application/json']: { schema: jsonSchema(spec.schema, 'output') } } }
            : spec.contentType
              ? { content: { [spec.contentType]: {} } }
              : {}),
        };
      }
      const errorBody = jsonSchema(op.errorSchema ?? errorBodySchema, 'output');
      for (const [status, description] of Object.entries(op.errors)) {
        responses[status] ??= { description, content: { 'application/json': { schema: errorBody } } };
      }
      const extension = !isEditorApiRoute(op.method, op.path);
      const description = extension ? `**Cutroom extension**: not part of the editor API.${op.description ? `\n\n${op.description}` : ''}` : op.description;
      const operation: Record<string, unknown> = {
        summary: op.summary,
        ...(description ? { description } : {}),
        ...(extension ? { 'x-cutroom-extension': true } : {}),
        tags: op.tags,
        parameters,
        responses,
        ...(op.security ? { security: [{ [op.security]: [] }] } : {}),
      };
      if (op.body) {
        operation.requestBody = {
          required: !op.body.safeParse(undefined).success,
          description: 'JSON, sent as application/json, text/plain or with no Content-Type (any other type is a 415).',
          content: { 'application/json': { schema: jsonSchema(op.body, 'input') } },
        };
      } else if (op.rawBody) {
        operation.requestBody = { required: true, content: { [op.rawBody]: {} } };
      }
      (paths[openApiPath] ??= {})[op.method] = operation;
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version },
      ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
      paths,
      components: {
        schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
        securitySchemes: {
          authToken: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: 'The editor token bound through the /websocket `user_event` (raw, or as `Bearer <token>`; also the `auth_token` query parameter).',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: "A developer's apiKey." },
          adminToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'The ADMIN_TOKEN.' },
          taskToken: { type: 'http', scheme: 'bearer', description: "A render node's per-task token." },
        },
      },
    };
  }
}

function headersObject(headers: Record<string, HeaderSpec>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, header]) => [
      name,
      { description: header.description, required: header.required ?? false, schema: header.schema ?? { type: 'string' } },
    ]),
  );
}

/** `#/$defs/X` (zod's local references) become references to the component X. */
function rewriteRefs(value: unknown, name: (id: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, name));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/') ? COMPONENTS + name(item.slice('#/$defs/'.length)) : rewriteRefs(item, name);
  }
  return out;
}
