import { randomUUID, randomBytes } from 'node:crypto';
import { alreadyExists, badRequest, conflict, invalid, notFound, StatusError, unsupportedMediaType } from './errors.js';
import { ObjectStore } from './object-store.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, nameErrors, type KubeObject, type ResourceType } from './resource-types.js';

/**
 * The API server's object lifecycle over the store, shared by the HTTP front and the simulated
 * controllers: create, update (main resource or status subresource), patch, and deletion with
 * finalizers, graceful pod deletion and propagation policies.
 */

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  propagationPolicy?: Propagation;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const withoutVolatile = (object: KubeObject) =>
  JSON.stringify({ ...object, metadata: { ...object.metadata, resourceVersion: undefined, managedFields: undefined } });
const specPart = (object: KubeObject) => JSON.stringify({ ...object, metadata: undefined, status: undefined, apiVersion: undefined, kind: undefined });

export class Registry {
  constructor(readonly store: ObjectStore) {}

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.store.get(type, namespace, name);
    if (!object) throw notFound(type, name);
    return object;
  }

  create(type: ResourceType, namespace: string | undefined, body: KubeObject, options: { dryRun?: boolean } = {}): KubeObject {
    if (!body || typeof body !== 'object' || typeof body.metadata !== 'object' || body.metadata === null) {
      throw badRequest('the body must be an object with metadata');
    }
    if (body.kind && body.kind !== type.kind) throw badRequest(`the body kind ${body.kind} does not match ${type.kind}`);
    const metadata = { ...body.metadata };
    if (type.namespaced) {
      if (metadata.namespace && metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      metadata.namespace = namespace;
    } else delete metadata.namespace;
    if (!metadata.name && metadata.generateName) {
      metadata.name = `${metadata.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
    }
    if (!metadata.name) throw invalid(type, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    const errors = nameErrors(type, metadata.name);
    if (errors.length)
      throw invalid(
        type,
        metadata.name,
        errors.map((message) => ({ field: 'metadata.name', message: `Invalid value: "${metadata.name}": ${message}` })),
      );
    if (this.store.get(type, metadata.namespace, metadata.name)) throw alreadyExists(type, metadata.name);
    const { status: _ignored, ...rest } = body;
    let object: KubeObject = {
      ...(type.hasStatus ? rest : body),
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: {
        ...metadata,
        uid: randomUUID(),
        creationTimestamp: now(),
        generation: 1,
        deletionTimestamp: undefined,
        deletionGracePeriodSeconds: undefined,
        resourceVersion: undefined,
      },
    };
    object = type.admit(clean(object), undefined);
    if (options.dryRun) return object;
    return this.store.put(type, clean(object), 'ADDED');
  }

  /** PUT of the main resource or of its status subresource. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    options: { subresource?: string; dryRun?: boolean } = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    if (!body || typeof body.metadata !== 'object') throw badRequest('the body must be an object with metadata');
    if (body.metadata.name && body.metadata.name !== name) throw badRequest('the name of the object does not match the name on the URL');
    const precondition = body.metadata.resourceVersion;
    if (precondition !== undefined && precondition !== '' && precondition !== current.metadata.resourceVersion) throw conflict(type, name);
    let next: KubeObject;
    if (options.subresource === 'status') {
      if (!type.hasStatus) throw notFound(type, `${name}/status`);
      next = { ...current, status: body.status };
    } else if (options.subresource) {
      throw notFound(type, `${name}/${options.subresource}`);
    } else {
      next = {
        ...body,
        apiVersion: apiVersionOf(type),
        kind: type.kind,
        ...(type.hasStatus ? { status: current.status } : {}),
        metadata: {
          ...body.metadata,
          name,
          namespace: current.metadata.namespace,
          uid: current.metadata.uid,
          creationTimestamp: current.metadata.creationTimestamp,
          generation: current.metadata.generation,
          deletionTimestamp: current.metadata.deletionTimestamp,
          deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds,
        },
      };
      if (specPart(next) !== specPart(current)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    next = clean(type.admit(clean(next), current));
    if (options.dryRun) return next;
    // A no-op write keeps the version and sends no event, as the real server does.
    if (withoutVolatile(next) === withoutVolatile(current)) return current;
    const stored = this.store.put(type, next, 'MODIFIED');
    return this.finishDeletionIfReady(type, stored);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    options: { subresource?: string; dryRun?: boolean } = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    const mediaType = contentType.split(';')[0]!.trim();
    let patched: KubeObject;
    switch (mediaType) {
      case PATCH_TYPES.merge:
        patched = mergePatch(current as never, patch as never) as KubeObject;
        break;
      case PATCH_TYPES.json:
        patched = jsonPatch(current as never, patch) as KubeObject;
        break;
      case PATCH_TYPES.strategic:
        if (type.group && !['batch', 'coordination.k8s.io'].includes(type.group)) {
          throw unsupportedMediaType(
            `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.apply}`,
          );
        }
        patched = strategicMergePatch(current as never, patch as never) as KubeObject;
        break;
      default:
        throw unsupportedMediaType(`the stand-in does not support patches of type ${mediaType}`);
    }
    if (!patched || typeof patched !== 'object' || typeof patched.metadata !== 'object') throw badRequest('the patch removed metadata');
    // A resourceVersion the patch sets is a precondition, as on the real server.
    if (patched.metadata.resourceVersion !== current.metadata.resourceVersion) {
      if (patched.metadata.resourceVersion) throw conflict(type, name);
      patched.metadata.resourceVersion = current.metadata.resourceVersion;
    }
    return this.update(type, namespace, name, patched, options);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): { object: KubeObject; removed: boolean } {
    const current = this.get(type, namespace, name);
    if (options.preconditions?.uid && options.preconditions.uid !== current.metadata.uid) {
      throw new StatusError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (options.preconditions?.resourceVersion && options.preconditions.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(type, name);
    }
    const policy = options.propagationPolicy ?? type.defaultPropagation;
    if (!['Background', 'Foreground', 'Orphan'].includes(policy)) throw badRequest(`unknown propagationPolicy ${policy}`);
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (policy === 'Foreground' && !finalizers.includes(FOREGROUND_FINALIZER)) finalizers.push(FOREGROUND_FINALIZER);
    if (policy === 'Orphan' && !finalizers.includes(ORPHAN_FINALIZER)) finalizers.push(ORPHAN_FINALIZER);

    const phase = current.status?.phase;
    const running = type.gracefulDelete && current.spec?.nodeName && phase !== 'Succeeded' && phase !== 'Failed';
    const grace = options.gracePeriodSeconds ?? current.spec?.terminationGracePeriodSeconds ?? 30;
    if (running && grace > 0) {
      // Graceful: mark it; the kubelet stops the containers and deletes it with grace 0.
      if (current.metadata.deletionTimestamp) return { object: current, removed: false };
      const marked = this.store.put(
        type,
        {
          ...current,
          metadata: {
            ...current.metadata,
            finalizers: finalizers.length ? finalizers : undefined,
            deletionTimestamp: new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            deletionGracePeriodSeconds: grace,
          },
        },
        'MODIFIED',
      );
      return { object: marked, removed: false };
    }
    if (finalizers.length > 0) {
      if (current.metadata.deletionTimestamp && JSON.stringify(finalizers) === JSON.stringify(current.metadata.finalizers)) {
        return { object: current, removed: false };
      }
      const marked = this.store.put(
        type,
        {
          ...current,
          metadata: {
            ...current.metadata,
            finalizers,
            deletionTimestamp: current.metadata.deletionTimestamp ?? now(),
            deletionGracePeriodSeconds: 0,
          },
        },
        'MODIFIED',
      );
      return { object: marked, removed: false };
    }
    return { object: this.store.remove(type, current), removed: true };
  }

  /** An object being deleted goes once its last finalizer is removed. */
  private finishDeletionIfReady(type: ResourceType, object: KubeObject): KubeObject {
    if (!object.metadata.deletionTimestamp || (object.metadata.finalizers?.length ?? 0) > 0) return object;
    if (type.gracefulDelete && object.spec?.nodeName && (object.metadata.deletionGracePeriodSeconds ?? 0) > 0) return object;
    return this.store.remove(type, object);
  }
}

/** Drops undefined fields and empty finalizer lists, so stored JSON is what a client would see. */
function clean(object: KubeObject): KubeObject {
  const result = JSON.parse(JSON.stringify(object)) as KubeObject;
  if (Array.isArray(result.metadata.finalizers) && result.metadata.finalizers.length === 0) delete result.metadata.finalizers;
  return result;
}
