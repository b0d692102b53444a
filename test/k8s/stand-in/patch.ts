import { badRequest, StatusError } from './errors.js';

/** The three patch formats of the API server: JSON merge, JSON patch and strategic merge. */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7386: objects merge, null deletes, everything else (lists too) replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** RFC 6902 operations on RFC 6901 pointers; a failed `test` is a 422 like the real server's. */
export function jsonPatch(target: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  let document = structuredClone(target);
  for (const operation of operations as Array<Record<string, unknown>>) {
    const op = operation.op;
    const path = String(operation.path ?? '');
    switch (op) {
      case 'add':
        document = add(document, path, structuredClone(operation.value as Json));
        break;
      case 'remove':
        document = remove(document, path);
        break;
      case 'replace':
        document = add(remove(document, path), path, structuredClone(operation.value as Json));
        break;
      case 'move': {
        const value = get(document, String(operation.from));
        document = add(remove(document, String(operation.from)), path, value);
        break;
      }
      case 'copy':
        document = add(document, path, structuredClone(get(document, String(operation.from))));
        break;
      case 'test':
        if (JSON.stringify(get(document, path)) !== JSON.stringify(operation.value)) {
          throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${path} failed`);
        }
        break;
      default:
        throw badRequest(`unknown json patch operation ${String(op)}`);
    }
  }
  return document;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid json pointer ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(document: Json, path: string): Json {
  let node: Json = document;
  for (const token of pointer(path)) {
    if (Array.isArray(node)) node = node[Number(token)] as Json;
    else if (isObject(node)) node = node[token] as Json;
    else node = undefined as unknown as Json;
    if (node === undefined) throw new StatusError(422, 'Invalid', `the server rejected our request: path ${path} does not exist`);
  }
  return node;
}

function parentOf(document: Json, path: string): { parent: Json; last: string } {
  const tokens = pointer(path);
  if (tokens.length === 0) throw badRequest('cannot address the document root here');
  const last = tokens.pop()!;
  const parentPath = tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  return { parent: get(document, parentPath), last };
}

function add(document: Json, path: string, value: Json): Json {
  if (path === '') return value;
  const { parent, last } = parentOf(document, path);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw new StatusError(422, 'Invalid', `the server rejected our request: index ${last} out of range at ${path}`);
    }
    parent.splice(index, 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw new StatusError(422, 'Invalid', `the server rejected our request: cannot add at ${path}`);
  return document;
}

function remove(document: Json, path: string): Json {
  const { parent, last } = parentOf(document, path);
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
      throw new StatusError(422, 'Invalid', `the server rejected our request: index ${last} out of range at ${path}`);
    }
    parent.splice(index, 1);
  } else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new StatusError(422, 'Invalid', `the server rejected our request: path ${path} does not exist`);
  return document;
}

/**
 * Strategic merge for the built-in types: like a merge patch, except lists the Kubernetes types
 * mark with a patch merge key merge item by item (`$patch: delete` removes one), and primitive
 * lists marked `merge` (finalizers) take the union. Keys are matched by field name, which is
 * how they are declared for every field Cutroom touches.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  conditions: 'type',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
};
const PRIMITIVE_MERGE_LISTS = new Set(['finalizers']);

export function strategicMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = result[key];
    if (Array.isArray(value) && MERGE_KEYS[key] && Array.isArray(current)) {
      result[key] = mergeKeyedList(current, value, MERGE_KEYS[key]!);
    } else if (Array.isArray(value) && PRIMITIVE_MERGE_LISTS.has(key) && Array.isArray(current)) {
      result[key] = [...current, ...value.filter((v) => !current.includes(v))];
    } else {
      result[key] = strategicMergePatch(current, value);
    }
  }
  return result;
}

function mergeKeyedList(current: Json[], patch: Json[], mergeKey: string): Json[] {
  const result = [...current];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = result.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = strategicMergePatch(result[index], item);
    else result.push(strategicMergePatch({}, item));
  }
  return result;
}
