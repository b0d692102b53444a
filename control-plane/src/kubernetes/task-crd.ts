import { GROUP, VERSION, TASK_RESOURCE_TYPES, type TaskResourceType } from './task-resource.js';

/**
 * The CustomResourceDefinitions of the task resources, as data. `crds/*.yaml` and the chart's
 * copies are written from here (`npm run generate:crds`); a test fails when they drift.
 * The schemas are structural (every field typed, no unknown fields kept), so the API server
 * prunes and validates what the dispatcher writes.
 */

type Schema = Record<string, unknown>;

// The pattern Kubernetes itself publishes for resource quantities ("500m", "2Gi", 1).
const QUANTITY: Schema = {
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  'x-kubernetes-int-or-string': true,
};

const RESOURCE_LIST: Schema = {
  type: 'object',
  properties: { cpu: QUANTITY, memory: QUANTITY, 'ephemeral-storage': QUANTITY },
};

const TIME: Schema = { type: 'string', format: 'date-time' };
const PHASE: Schema = { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed'] };
const MESSAGE: Schema = { type: 'string', maxLength: 32768 };
const REASON: Schema = { type: 'string', maxLength: 1024 };

function specSchema(type: TaskResourceType): Schema {
  return {
    type: 'object',
    description: 'What to run. The per-task token is not here: tokenSecretRef names the Secret that holds it.',
    required: ['taskId', 'kind', 'attempt', 'internalUrl', 'tokenSecretRef'],
    properties: {
      taskId: { type: 'string', minLength: 1, maxLength: 64, description: 'The control plane task id.' },
      kind: { type: 'string', enum: [...type.taskKinds], description: 'The task kind the render node runs.' },
      attempt: {
        type: 'integer',
        format: 'int32',
        minimum: 1,
        description: 'Attempt number; the control plane raises it to retry, and the operator then replaces the Job.',
      },
      gpu: { type: 'boolean', default: false, description: 'Encode on an NVIDIA GPU (NVENC).' },
      internalUrl: {
        type: 'string',
        pattern: '^https?://',
        maxLength: 2048,
        description: "Base URL of the control plane's internal API as the render node reaches it.",
      },
      deadlineSeconds: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        maximum: 604800,
        default: 3600,
        description: "The Job's activeDeadlineSeconds.",
      },
      resources: {
        type: 'object',
        description: 'Requests and limits of the render-node container; unset ones take the operator defaults.',
        properties: { requests: RESOURCE_LIST, limits: RESOURCE_LIST },
      },
      tokenSecretRef: {
        type: 'object',
        required: ['name', 'key'],
        description: 'The Secret (owned by this resource) holding the per-task token.',
        properties: { name: { type: 'string', minLength: 1, maxLength: 253 }, key: { type: 'string', minLength: 1, maxLength: 253 } },
      },
    },
  };
}

const STATUS_SCHEMA: Schema = {
  type: 'object',
  description: 'Written by the operator (and progress by the control plane) through the status subresource only.',
  properties: {
    phase: PHASE,
    progress: { type: 'integer', format: 'int32', minimum: 0, maximum: 100, description: 'Percent done.' },
    attempt: { type: 'integer', format: 'int32', minimum: 1, description: 'The attempt the fields below describe.' },
    attempts: {
      type: 'array',
      maxItems: 64,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['attempt'],
      items: {
        type: 'object',
        required: ['attempt', 'job', 'phase'],
        properties: {
          attempt: { type: 'integer', format: 'int32', minimum: 1 },
          job: { type: 'string', maxLength: 253 },
          jobUid: { type: 'string', maxLength: 64 },
          phase: PHASE,
          startTime: TIME,
          completionTime: TIME,
          reason: REASON,
          message: MESSAGE,
          node: { type: 'string', maxLength: 253 },
        },
      },
    },
    startTime: TIME,
    completionTime: TIME,
    reason: REASON,
    message: MESSAGE,
    node: { type: 'string', maxLength: 253, description: 'The node the current attempt runs or ran on.' },
    job: { type: 'string', maxLength: 253, description: 'The Job of the current attempt.' },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
        properties: {
          type: { type: 'string', maxLength: 316 },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
          lastTransitionTime: TIME,
          reason: { type: 'string', maxLength: 1024, minLength: 1 },
          message: MESSAGE,
        },
      },
    },
  },
};

export function taskCrd(type: TaskResourceType): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${type.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'cutroom', 'app.kubernetes.io/part-of': 'cutroom' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: type.kind,
        listKind: `${type.kind}List`,
        plural: type.plural,
        singular: type.singular,
        shortNames: type.shortNames,
        categories: ['cutroom'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Task', type: 'string', jsonPath: '.spec.taskId', priority: 1 },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Progress', type: 'integer', jsonPath: '.status.progress', description: 'Percent done' },
            { name: 'Attempt', type: 'integer', jsonPath: '.spec.attempt', priority: 1 },
            { name: 'Node', type: 'string', jsonPath: '.status.node' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `A Cutroom ${type.taskKinds.join('/')} task run as a Kubernetes Job by the Cutroom operator.`,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: specSchema(type),
                status: STATUS_SCHEMA,
              },
            },
          },
        },
      ],
    },
  };
}

export function taskCrds(): Array<{ fileName: string; document: Record<string, unknown> }> {
  return TASK_RESOURCE_TYPES.map((type) => ({ fileName: `${type.plural}.${GROUP}.yaml`, document: taskCrd(type) }));
}
