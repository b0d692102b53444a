import type { V1Job, V1ResourceRequirements } from '@kubernetes/client-node';
import type { RenderJobConfig } from '../config.js';
import type { RenderPodOptions } from './render-pod-options.js';
import { WORKER_ENV } from '../work/dispatcher.js';
import { ANNOTATIONS, jobNameFor, LABELS, MANAGED_BY, ownerReferenceTo, type ResourceList, type TaskResource } from '../kubernetes/task-resource.js';

/**
 * The Job a task resource becomes (one per attempt). Pure: the reconciler compares and
 * creates; tests read it directly.
 */

/** The render node's program inside the image (see render-node/Dockerfile). */
export const RENDER_NODE_COMMAND = ['node', '/app/render-node/dist/main.js'];
export const CONTAINER_NAME = 'render-node';
export const SCRATCH_MOUNT = '/scratch';
export { RENDER_NODE_UID } from './render-pod-options.js';

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
  const pool: RenderPodOptions = spec.gpu ? config.gpuPod : config.cpuPod;
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
        // The platform's pod labels and annotations, under ours: selectors and task ids stay exact.
        metadata: { labels: { ...pool.labels, ...labels }, annotations: { ...pool.annotations, ...annotations } },
        spec: {
          restartPolicy: 'Never',
          // The render node holds no cluster credentials: it only speaks to the control plane.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(config.serviceAccountName ? { serviceAccountName: config.serviceAccountName } : {}),
          ...(config.imagePullSecrets.length ? { imagePullSecrets: config.imagePullSecrets.map((s) => ({ name: s })) } : {}),
          securityContext: {
            runAsNonRoot: true,
            ...(config.runAsUid !== undefined ? { runAsUser: config.runAsUid, runAsGroup: config.runAsUid, fsGroup: config.runAsUid } : {}),
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(pool.runtimeClassName ? { runtimeClassName: pool.runtimeClassName } : {}),
          ...(pool.priorityClassName ? { priorityClassName: pool.priorityClassName } : {}),
          ...nodePlacement(spec.gpu, config, pool),
          containers: [
            {
              name: CONTAINER_NAME,
              image: spec.gpu ? config.gpuImage : config.image,
              imagePullPolicy: config.imagePullPolicy,
              command: RENDER_NODE_COMMAND,
              env: [
                ...pool.env.filter((v) => !(Object.values(WORKER_ENV) as string[]).includes(v.name)),
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
              volumeMounts: [{ name: 'scratch', mountPath: SCRATCH_MOUNT }, ...pool.volumeMounts.filter((m) => m.name !== 'scratch')],
            },
          ],
          volumes: [{ name: 'scratch', emptyDir: { sizeLimit: config.scratchSize } }, ...pool.volumes.filter((v) => v.name !== 'scratch')],
        },
      },
    },
  };
}

function nodePlacement(gpu: boolean, config: RenderJobConfig, pool: RenderPodOptions) {
  const nodeSelector = { ...config.nodeSelector, ...(gpu ? config.gpuNodeSelector : {}) };
  const tolerations = [...(gpu ? config.gpuTolerations : []), ...pool.tolerations];
  return {
    ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
    ...(tolerations.length ? { tolerations } : {}),
    ...(pool.affinity ? { affinity: pool.affinity } : {}),
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
  return Object.fromEntries(
    Object.entries(list ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}
