import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { TaskResource } from '../kubernetes/task-resource.js';
import { desiredJob } from './job-template.js';

const resource = (spec: Partial<TaskResource['spec']> = {}): TaskResource => ({
  apiVersion: 'cutroom.io/v1alpha1',
  kind: 'ImportTask',
  metadata: { name: 't-6869', namespace: 'media', uid: 'uid-1' },
  spec: {
    taskId: 'hi',
    kind: 'ingest',
    attempt: 3,
    gpu: false,
    internalUrl: 'http://cp:8080',
    deadlineSeconds: 90,
    tokenSecretRef: { name: 't-6869', key: 'token' },
    ...spec,
  },
});

describe('desiredJob', () => {
  it('runs the render node with exactly the worker environment and the token by reference', () => {
    const job = desiredJob(resource(), loadConfig({}).kubernetes.job);
    expect(job.metadata).toMatchObject({ name: 't-6869-a3', namespace: 'media', annotations: { 'cutroom.io/task-id': 'hi' } });
    expect(job.metadata!.labels).toMatchObject({
      'cutroom.io/attempt': '3',
      'cutroom.io/task-resource-kind': 'ImportTask',
      'app.kubernetes.io/managed-by': 'cutroom',
    });
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.command).toEqual(['node', '/app/render-node/dist/main.js']);
    expect(container.env).toEqual([
      { name: 'CUTROOM_TASK_ID', value: 'hi' },
      { name: 'CUTROOM_INTERNAL_URL', value: 'http://cp:8080' },
      { name: 'CUTROOM_TASK_ATTEMPT', value: '3' },
      { name: 'CUTROOM_TASK_TOKEN', valueFrom: { secretKeyRef: { name: 't-6869', key: 'token' } } },
    ]);
    expect(job.spec).toMatchObject({ activeDeadlineSeconds: 90, backoffLimit: 0 });
  });

  it("takes the resource's own requests and limits over the defaults, and adds the GPU", () => {
    const config = loadConfig({ RENDER_NODE_NODE_SELECTOR: 'pool=render', RENDER_NODE_IMAGE_PULL_SECRETS: 'regcred', RENDER_NODE_SERVICE_ACCOUNT: 'render' })
      .kubernetes.job;
    const job = desiredJob(resource({ gpu: true, resources: { requests: { cpu: 2 }, limits: { memory: '16Gi' } } }), config);
    const pod = job.spec!.template.spec!;
    expect(pod.containers[0]!.resources).toEqual({
      requests: { cpu: '2', memory: '1Gi', 'ephemeral-storage': '20Gi' },
      limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' },
    });
    expect(pod.nodeSelector).toEqual({ pool: 'render', 'nvidia.com/gpu.present': 'true' });
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod.serviceAccountName).toBe('render');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("adds each pool's placement, metadata, proxy and volumes to its own pods only, under the Job's own", () => {
    const gpuPod = {
      runtimeClassName: 'nvidia',
      priorityClassName: 'gpu-batch',
      annotations: { 'example.com/cost-centre': 'video', 'cutroom.io/task-id': 'forged' },
      labels: { team: 'video', 'app.kubernetes.io/component': 'forged' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-L4'] }] }],
          },
        },
      },
      env: [
        { name: 'HTTPS_PROXY', value: 'http://proxy:3128' },
        { name: 'CUTROOM_TASK_ID', value: 'forged' },
      ],
      volumes: [{ name: 'ca', configMap: { name: 'ca-bundle' } }],
      volumeMounts: [{ name: 'ca', mountPath: '/etc/ca', readOnly: true }],
    };
    const config = loadConfig({ RENDER_NODE_GPU_POD: JSON.stringify(gpuPod), RENDER_NODE_CPU_POD: '{"priorityClassName":"batch"}' }).kubernetes.job;
    const gpu = desiredJob(resource({ gpu: true }), config).spec!.template;
    expect(gpu.spec).toMatchObject({ runtimeClassName: 'nvidia', priorityClassName: 'gpu-batch', affinity: gpuPod.affinity });
    expect(gpu.spec!.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }, gpuPod.tolerations[0]]);
    expect(gpu.metadata!.labels).toMatchObject({ team: 'video', 'app.kubernetes.io/component': 'render-node' });
    expect(gpu.metadata!.annotations).toEqual({ 'example.com/cost-centre': 'video', 'cutroom.io/task-id': 'hi' });
    const container = gpu.spec!.containers[0]!;
    expect(container.env!.filter((e) => e.name === 'CUTROOM_TASK_ID')).toEqual([{ name: 'CUTROOM_TASK_ID', value: 'hi' }]);
    expect(container.env).toContainEqual({ name: 'HTTPS_PROXY', value: 'http://proxy:3128' });
    expect(container.volumeMounts).toEqual([{ name: 'scratch', mountPath: '/scratch' }, gpuPod.volumeMounts[0]]);
    const cpu = desiredJob(resource(), config).spec!.template.spec!;
    expect(cpu).toMatchObject({ priorityClassName: 'batch' });
    expect(cpu.runtimeClassName).toBeUndefined();
    expect(cpu.affinity).toBeUndefined();
  });

  it('leaves the UID to the platform with RENDER_NODE_UID=none, and refuses pod options that are not', () => {
    expect(desiredJob(resource(), loadConfig({}).kubernetes.job).spec!.template.spec!.securityContext).toMatchObject({ runAsUser: 10001, fsGroup: 10001 });
    const openshift = desiredJob(resource(), loadConfig({ RENDER_NODE_UID: 'none' }).kubernetes.job).spec!.template.spec!.securityContext;
    expect(openshift).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(() => loadConfig({ RENDER_NODE_CPU_POD: '{"tolerations":"all"}' })).toThrow(
      /RENDER_NODE_CPU_POD accepts a JSON object of render-node pod options \(tolerations: /,
    );
    expect(() => loadConfig({ RENDER_NODE_GPU_POD: '{"hostNetwork":true}' })).toThrow(/RENDER_NODE_GPU_POD accepts/);
  });
});
