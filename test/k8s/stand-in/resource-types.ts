import { invalid } from './errors.js';
import { compileSchema, structuralViolations } from './openapi-schema.js';

/** The types the stand-in serves: a few built-ins with their server-side rules, and CRDs. */

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: Record<string, any> & { name?: string; namespace?: string };
  [key: string]: any;
};

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  hasStatus: boolean;
  /** The default of DELETE without a propagationPolicy: batch/v1 Jobs still orphan their pods. */
  defaultPropagation: 'Background' | 'Orphan';
  /** Pods on a node go through graceful deletion: the kubelet stops them, then removes them. */
  gracefulDelete: boolean;
  printerColumns: PrinterColumn[];
  /** Prunes, defaults and validates an object about to be stored; throws 422. */
  admit(object: KubeObject, current: KubeObject | undefined): KubeObject;
}

export const apiVersionOf = (type: Pick<ResourceType, 'group' | 'version'>) => (type.group ? `${type.group}/${type.version}` : type.version);
export const typeKey = (type: Pick<ResourceType, 'group' | 'plural'>) => `${type.group}/${type.plural}`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function nameErrors(type: ResourceType, name: string): string[] {
  const label = type.kind === 'Job' || type.kind === 'Namespace';
  const ok = label ? DNS_LABEL.test(name) && name.length <= 63 : DNS_SUBDOMAIN.test(name) && name.length <= 253;
  return ok ? [] : [`a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.'`];
}

function builtin(partial: Omit<ResourceType, 'listKind' | 'printerColumns' | 'categories' | 'admit'> & Partial<ResourceType>): ResourceType {
  return {
    listKind: `${partial.kind}List`,
    printerColumns: [],
    categories: [],
    admit: (object) => object,
    ...partial,
  };
}

const fail = (type: ResourceType, object: KubeObject, field: string, message: string): never => {
  throw invalid(type, object.metadata.name ?? '', [{ field, message }]);
};

const secretType: ResourceType = builtin({
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  shortNames: [],
  hasStatus: false,
  defaultPropagation: 'Background',
  gracefulDelete: false,
  admit(object) {
    // stringData is write-only: the server folds it into data, as base64.
    const data: Record<string, string> = { ...(object.data ?? {}) };
    for (const [key, value] of Object.entries((object.stringData ?? {}) as Record<string, string>)) {
      data[key] = Buffer.from(String(value), 'utf8').toString('base64');
    }
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) fail(secretType, object, `data[${key}]`, 'illegal base64 data');
    }
    const { stringData: _dropped, ...rest } = object;
    return { ...rest, type: object.type ?? 'Opaque', data };
  },
});

const podType: ResourceType = builtin({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  hasStatus: true,
  defaultPropagation: 'Background',
  gracefulDelete: true,
  admit(object, current) {
    const containers = object.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) fail(podType, object, 'spec.containers', 'Required value');
    const spec = { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...object.spec };
    if (current && JSON.stringify({ ...current.spec, nodeName: undefined }) !== JSON.stringify({ ...spec, nodeName: undefined })) {
      fail(podType, object, 'spec', 'Forbidden: pod updates may not change fields other than spec.nodeName (binding)');
    }
    return { ...object, spec, status: object.status ?? { phase: 'Pending' } };
  },
});

const jobType: ResourceType = builtin({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  shortNames: [],
  categories: ['all'],
  hasStatus: true,
  defaultPropagation: 'Orphan',
  gracefulDelete: false,
  admit(object, current) {
    const template = object.spec?.template;
    const containers = template?.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) fail(jobType, object, 'spec.template.spec.containers', 'Required value');
    for (const [i, container] of (containers as Array<Record<string, unknown>>).entries()) {
      if (!container.name) fail(jobType, object, `spec.template.spec.containers[${i}].name`, 'Required value');
      if (!container.image) fail(jobType, object, `spec.template.spec.containers[${i}].image`, 'Required value');
    }
    const restartPolicy = template.spec.restartPolicy;
    if (restartPolicy !== 'Never' && restartPolicy !== 'OnFailure') {
      fail(jobType, object, 'spec.template.spec.restartPolicy', `Unsupported value: "${restartPolicy}": supported values: "OnFailure", "Never"`);
    }
    if (current) {
      // The pod template and selector of a Job are immutable once created.
      if (JSON.stringify(current.spec.template) !== JSON.stringify(object.spec.template)) {
        fail(jobType, object, 'spec.template', 'Invalid value: field is immutable');
      }
      return object;
    }
    const uid = object.metadata.uid as string;
    const name = object.metadata.name!;
    const selectorLabels = { 'batch.kubernetes.io/controller-uid': uid, 'controller-uid': uid };
    const podLabels = { ...template.metadata?.labels, ...selectorLabels, 'batch.kubernetes.io/job-name': name, 'job-name': name };
    return {
      ...object,
      metadata: { ...object.metadata, labels: { ...selectorLabels, 'batch.kubernetes.io/job-name': name, 'job-name': name, ...object.metadata.labels } },
      spec: {
        parallelism: 1,
        completions: 1,
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        suspend: false,
        manualSelector: false,
        podReplacementPolicy: 'TerminatingOrFailed',
        ...object.spec,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
        template: { ...template, metadata: { ...template.metadata, labels: podLabels } },
      },
    };
  },
});

const leaseType: ResourceType = builtin({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  shortNames: [],
  hasStatus: false,
  defaultPropagation: 'Background',
  gracefulDelete: false,
  admit(object) {
    const duration = object.spec?.leaseDurationSeconds;
    if (duration !== undefined && (!Number.isInteger(duration) || duration <= 0)) {
      fail(leaseType, object, 'spec.leaseDurationSeconds', 'Invalid value: must be greater than 0');
    }
    return object;
  },
});

export const BUILTIN_TYPES: readonly ResourceType[] = [secretType, podType, jobType, leaseType];

/** A CustomResourceDefinition as the API server accepts it: its storage version must be structural. */
export function typeFromCrd(crd: KubeObject): ResourceType {
  const spec = crd.spec as Record<string, any>;
  const version = (spec.versions as Array<Record<string, any>>).find((v) => v.storage) ?? spec.versions[0];
  const schema = version.schema?.openAPIV3Schema as Record<string, unknown> | undefined;
  if (!schema) throw new Error(`CRD ${crd.metadata.name}: no openAPIV3Schema`);
  const violations = structuralViolations(schema);
  if (violations.length > 0) throw new Error(`CRD ${crd.metadata.name} is not structural:\n${violations.join('\n')}`);
  const compiled = compileSchema(schema);
  const type: ResourceType = {
    group: spec.group,
    version: version.name,
    kind: spec.names.kind,
    listKind: spec.names.listKind ?? `${spec.names.kind}List`,
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    namespaced: spec.scope === 'Namespaced',
    shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [],
    hasStatus: Boolean(version.subresources?.status),
    defaultPropagation: 'Background',
    gracefulDelete: false,
    printerColumns: version.additionalPrinterColumns ?? [],
    admit(object) {
      const { object: stored, errors } = compiled.admit(object);
      if (errors.length > 0) throw invalid(type, object.metadata.name ?? '', errors);
      return stored as KubeObject;
    },
  };
  return type;
}
