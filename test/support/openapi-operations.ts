/** The operations of the OpenAPI document a started server serves, for tests generated from it. */

export type Security = 'authToken' | 'apiKey' | 'adminToken' | 'taskToken' | undefined;

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Record<string, any>;
}

export interface Operation {
  method: string;
  /** The OpenAPI path, with `{name}` placeholders. */
  path: string;
  security: Security;
  parameters: Parameter[];
  /** Statuses the document lists, and whether it has a `default` (the error model). */
  statuses: string[];
  bodySchema: Record<string, any> | undefined;
  /** Has a request body that is not JSON (uploads, signed files). */
  rawBody: boolean;
  name: string;
}

export async function openApiOperations(baseUrl: string): Promise<{ operations: Operation[]; document: any }> {
  const document = (await (await fetch(`${baseUrl}/api/openapi.json`)).json()) as any;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      const content = op.requestBody?.content ?? {};
      operations.push({
        method: method.toUpperCase(),
        path,
        security: op.security ? (Object.keys(op.security[0])[0] as Security) : undefined,
        parameters: op.parameters ?? [],
        statuses: Object.keys(op.responses ?? {}),
        bodySchema: content['application/json']?.schema,
        rawBody: op.requestBody !== undefined && content['application/json'] === undefined,
        name: `${method.toUpperCase()} ${path}`,
      });
    }
  }
  return { operations, document };
}

/** Whether an answer's status is one the operation documents (explicitly, or as its `default` error). */
export function documents(op: Operation, status: number): boolean {
  return op.statuses.includes(String(status)) || (status >= 400 && op.statuses.includes('default'));
}
