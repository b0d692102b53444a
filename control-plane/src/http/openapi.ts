import { z } from 'zod';

/**
 * Collects every route's schemas as it is mounted, so the OpenAPI document is produced
 * from the very schemas that validate requests.
 */

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
  responses: Record<number, ResponseSpec>;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType | undefined;
  /** Media type when the answer is not JSON. */
  contentType?: string | undefined;
}

const errorSchema = z.object({
  error: z.object({ type: z.string(), message: z.string(), title: z.string().optional() }),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

export class OpenApiRegistry {
  private readonly operations: OpenApiOperation[] = [];

  add(operation: OpenApiOperation): void {
    this.operations.push(operation);
  }

  document(info: { title: string; version: string; serverUrl?: string }): Record<string, unknown> {
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
      const responses: Record<string, unknown> = {};
      for (const [status, spec] of Object.entries(op.responses)) {
        responses[status] = {
          description: spec.description,
          ...(spec.schema
            ? { content: { [spec.contentType ?? 'application/json']: { schema: jsonSchema(spec.schema, 'output') } } }
            : spec.contentType
              ? { content: { [spec.contentType]: {} } }
              : {}),
        };
      }
      responses.default = {
        description: 'Error',
        content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } },
      };
      const operation: Record<string, unknown> = {
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        tags: op.tags,
        parameters,
        responses,
        ...(op.security ? { security: [{ [op.security]: [] }] } : {}),
      };
      if (op.body) {
        operation.requestBody = {
          required: !op.body.safeParse(undefined).success,
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
        securitySchemes: {
          authToken: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description:
              'The editor token bound through the /websocket `user_event` (raw, or as `Bearer <token>`; also the `auth_token` query parameter).',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: "A developer's apiKey." },
          adminToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'The ADMIN_TOKEN.' },
          taskToken: { type: 'http', scheme: 'bearer', description: "A render node's per-task token." },
        },
      },
    };
  }
}
