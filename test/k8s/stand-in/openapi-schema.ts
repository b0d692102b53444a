import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * What the API server does with a CRD's openAPIV3Schema: refuse schemas that are not
 * structural, then for every write prune unknown fields, apply defaults and validate.
 */

type Schema = Record<string, unknown>;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The structural-schema rules of apiextensions.k8s.io/v1; returns the violations (empty: structural). */
export function structuralViolations(root: Schema): string[] {
  const violations: string[] = [];
  const visit = (schema: Schema, path: string, inJunctor: boolean, typeAllowed = false) => {
    const intOrString = schema['x-kubernetes-int-or-string'] === true;
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    if (!inJunctor && !schema.type && !intOrString && !preserve) violations.push(`${path}.type: Required value: must not be empty for specified object fields`);
    if (inJunctor) {
      for (const forbidden of ['description', 'default', 'additionalProperties', 'nullable', 'x-kubernetes-preserve-unknown-fields']) {
        if (forbidden in schema) violations.push(`${path}.${forbidden}: Forbidden: must not be used inside of anyOf, allOf, oneOf or not`);
      }
      if ('type' in schema && !typeAllowed) {
        violations.push(`${path}.type: Forbidden: must be empty inside of not, allOf or oneOf`);
      }
    }
    if (schema.properties && schema.additionalProperties !== undefined) {
      violations.push(`${path}: Forbidden: additionalProperties and properties are mutual exclusive`);
    }
    if (schema.additionalProperties === false) violations.push(`${path}.additionalProperties: Forbidden: must not be false; unknown fields are pruned`);
    if (intOrString && schema.anyOf) {
      const anyOf = JSON.stringify(schema.anyOf);
      if (anyOf !== JSON.stringify([{ type: 'integer' }, { type: 'string' }])) {
        violations.push(`${path}.anyOf: Forbidden: x-kubernetes-int-or-string takes anyOf [integer, string] only`);
      }
    }
    if (schema['x-kubernetes-list-type'] === 'map') {
      const items = schema.items as Schema | undefined;
      const required = (items?.required as string[] | undefined) ?? [];
      const properties = (items?.properties as Record<string, Schema> | undefined) ?? {};
      for (const key of (schema['x-kubernetes-list-map-keys'] as string[] | undefined) ?? []) {
        if (!required.includes(key) && properties[key]?.default === undefined) {
          violations.push(`${path}.items.properties.${key}: Invalid value: map keys must be required or have a default`);
        }
      }
    }
    for (const [name, child] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
      visit(child, `${path}.properties[${name}]`, inJunctor);
    }
    if (isObject(schema.items)) visit(schema.items, `${path}.items`, inJunctor);
    if (isObject(schema.additionalProperties)) visit(schema.additionalProperties, `${path}.additionalProperties`, inJunctor);
    for (const junctor of ['anyOf', 'allOf', 'oneOf']) {
      // The one place a type may sit in a junctor: int-or-string's anyOf [integer, string].
      const typed = junctor === 'anyOf' && intOrString;
      (schema[junctor] as Schema[] | undefined)?.forEach((child, i) => visit(child, `${path}.${junctor}[${i}]`, true, typed));
    }
    if (isObject(schema.not)) visit(schema.not, `${path}.not`, true);
  };
  visit(root, 'openAPIV3Schema', false);
  const metadata = (root.properties as Record<string, Schema> | undefined)?.metadata;
  if (metadata && Object.keys(metadata).some((key) => key !== 'type' && key !== 'properties')) {
    violations.push('openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName');
  }
  return violations;
}

/** Removes fields the schema does not declare (apiVersion, kind and metadata at the root stay). */
export function prune(value: unknown, schema: Schema, isRoot = true): unknown {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return value;
  if (Array.isArray(value)) {
    return isObject(schema.items) ? value.map((item) => prune(item, schema.items as Schema, false)) : value;
  }
  if (!isObject(value)) return value;
  const properties = schema.properties as Record<string, Schema> | undefined;
  const additional = schema.additionalProperties;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (isRoot && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) result[key] = child;
    else if (properties && properties[key]) result[key] = prune(child, properties[key]!, false);
    else if (isObject(additional)) result[key] = prune(child, additional, false);
    else if (additional === true) result[key] = child;
  }
  return result;
}

/** Fills absent fields that declare a default, where their parent object exists. */
export function applyDefaults(value: unknown, schema: Schema): unknown {
  if (Array.isArray(value)) return isObject(schema.items) ? value.map((item) => applyDefaults(item, schema.items as Schema)) : value;
  if (!isObject(value)) return value;
  const result: Record<string, unknown> = { ...value };
  for (const [key, child] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
    if (result[key] === undefined && child.default !== undefined) result[key] = structuredClone(child.default);
    if (result[key] !== undefined) result[key] = applyDefaults(result[key], child);
  }
  if (isObject(schema.additionalProperties)) {
    for (const key of Object.keys(result)) result[key] = applyDefaults(result[key], schema.additionalProperties);
  }
  return result;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
ajv.addFormat('date-time', (text: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text)));
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
ajv.addKeyword({
  keyword: 'x-kubernetes-int-or-string',
  validate: (enabled: boolean, data: unknown) => !enabled || typeof data === 'string' || Number.isInteger(data),
  errors: false,
});

export interface CompiledSchema {
  /** Prunes, defaults and validates; returns the stored form or throws the field errors. */
  admit(object: Record<string, unknown>): { object: Record<string, unknown>; errors: Array<{ field: string; message: string }> };
}

export function compileSchema(schema: Schema): CompiledSchema {
  // metadata is validated as ObjectMeta by the server itself, not by the CRD's schema.
  const properties = { ...(schema.properties as Record<string, unknown>) };
  delete properties.metadata;
  const validate: ValidateFunction = ajv.compile({ ...schema, properties });
  return {
    admit(object) {
      const stored = applyDefaults(prune(object, schema), schema) as Record<string, unknown>;
      const errors = validate(stored) ? [] : (validate.errors ?? []).map(fieldError);
      return { object: stored, errors };
    },
  };
}

function fieldError(error: ErrorObject): { field: string; message: string } {
  const field = error.instancePath.slice(1).replace(/\//g, '.') || '<root>';
  const where =
    error.keyword === 'required' ? `${field === '<root>' ? '' : `${field}.`}${(error.params as { missingProperty: string }).missingProperty}` : field;
  const message =
    error.keyword === 'required' ? 'Required value' : `Invalid value: ${JSON.stringify(error.data)}: ${where} in body ${error.message ?? 'is invalid'}`;
  return { field: where, message };
}
