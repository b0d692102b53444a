import type { V1Job, V1ResourceRequirements } from '@kubernetes/client-node';
import type { RenderJobConfig } from '../config.js';
import { WORKER_ENV } from '../work/dispatcher.js';
import {
  ANNOTATIONS,
  jobNameFor,
  LABELS,
  MANAGED_BY,
  ownerReferenceTo,
  type ResourceList,
  type TaskResource,
} from '../kubernetes/task-resource.js';

/**
 * The Job a task resource becomes (one per attempt). Pure: the reconciler compares and
 * creates; tests read it directly.
 */

/** The render node's program inside the image (see render-node/Dockerfile). */
export const RENDER_NODE_COMMAND = ['node', '/app/render-node/dist/main.js'];
export const CONTAINER_NAME = 'render-node';
export const SCRATCH_MOUNT = '/scratch';
/** The non-root user of the render-node images. */
export const RENDER_NODE_UID = 10001;

export function desiredJob(resource: TaskResource, config: RenderJobConfig): V1Job {
  const { spec, metadata } = resource;
  const name = jobNameFor(metadata.name, spec.attempt);
  const labels = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: 'render-node',
    [LABELS.taskResource]: metadata.name,
    [LABELS.resourceKind]: resource.kind,
    [LABELS.attempt]: String(spec.attempt),
  };
  const annotations = { [ANNOTATIONS.taskId]: spec.taskId };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: metadata.namespace,
      labels,
      annotations,
      ownerReferences: [ownerReferenceTo(resource, { controller: true, blockOwnerDeletion: true })],
    },
    spec: {
      // Retries are the control plane's (a new attempt, a new token): the Job runs one pod.
      backoffLimit: 0,
      activeDeadlineSeconds: spec.deadlineSeconds,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: 'Never',
          // The render node holds no cluster credentials: it only speaks to the control plane.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(config.serviceAccountName ? { serviceAccountName: config.serviceAccountName } : {}),
          ...(config.imagePullSecrets.length ? { imagePullSecrets: config.imagePullSecrets.map((s) => ({ name: s })) } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RENDER_NODE_UID,
            runAsGroup: RENDER_NODE_UID,
            fsGroup: RENDER_NODE_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...nodePlacement(spec.gpu, config),
          containers: [
            {
              name: CONTAINER_NAME,
              image: spec.gpu ? config.gpuImage : config.image,
              imagePullPolicy: config.imagePullPolicy,
              command: RENDER_NODE_COMMAND,
              env: [
                { name: WORKER_ENV.taskId, value: spec.taskId },
                { name: WORKER_ENV.internalUrl, value: spec.internalUrl },
                { name: WORKER_ENV.attempt, value: String(spec.attempt) },
                { name: WORKER_ENV.token, valueFrom: { secretKeyRef: { name: spec.tokenSecretRef.name, key: spec.tokenSecretRef.key } } },
              ],
              resources: containerResources(resource, config),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'scratch', mountPath: SCRATCH_MOUNT }],
            },
          ],
          volumes: [{ name: 'scratch', emptyDir: { sizeLimit: config.scratchSize } }],
        },
      },
    },
  };
}

function nodePlacement(gpu: boolean, config: RenderJobConfig) {
  const nodeSelector = { ...config.nodeSelector, ...(gpu ? config.gpuNodeSelector : {}) };
  return {
    ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
    ...(gpu && config.gpuTolerations.length ? { tolerations: config.gpuTolerations } : {}),
  };
}

/** The resource's own requests and limits win; the operator's defaults fill the rest. */
function containerResources(resource: TaskResource, config: RenderJobConfig): V1ResourceRequirements {
  const own = resource.spec.resources ?? {};
  const requests: Record<string, string> = {
    cpu: config.requests.cpu,
    memory: config.requests.memory,
    'ephemeral-storage': config.scratchSize,
    ...stringValues(own.requests),
  };
  const limits: Record<string, string> = { cpu: config.limits.cpu, memory: config.limits.memory, ...stringValues(own.limits) };
  if (resource.spec.gpu) limits['nvidia.com/gpu'] = '1';
  return { requests, limits };
}

function stringValues(list: ResourceList | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(list ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
}
