/**
 * API errors as the real API server sends them: a `v1 Status` object with reason and code, which
 * client libraries (and the operator) branch on.
 */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export interface ResourceRef {
  group: string;
  plural: string;
  kind: string;
}

const qualified = (ref: ResourceRef) => (ref.group ? `${ref.plural}.${ref.group}` : ref.plural);

export const notFound = (ref: ResourceRef, name: string) =>
  new StatusError(404, 'NotFound', `${qualified(ref)} "${name}" not found`, { name, group: ref.group, kind: ref.plural });

export const alreadyExists = (ref: ResourceRef, name: string) =>
  new StatusError(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, { name, group: ref.group, kind: ref.plural });

export const conflict = (ref: ResourceRef, name: string) =>
  new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(ref)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: ref.group, kind: ref.plural },
  );

export const invalid = (ref: ResourceRef, name: string, causes: Array<{ field: string; message: string }>) =>
  new StatusError(422, 'Invalid', `${ref.kind}.${ref.group || 'core'} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, {
    name,
    group: ref.group,
    kind: ref.kind,
    causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
  });

export const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);
export const gone = (message: string) => new StatusError(410, 'Expired', message);
export const methodNotAllowed = (message: string) => new StatusError(405, 'MethodNotAllowed', message);
export const unsupportedMediaType = (message: string) => new StatusError(415, 'UnsupportedMediaType', message);
