import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { TaskResource } from '../kubernetes/task-resource.js';
import { desiredJob } from './job-template.js';

const resource = (spec: Partial<TaskResource['spec']> = {}): TaskResource => ({
  apiVersion: 'cutroom.io/v1alpha1',
  kind: 'ThumbnailTask',
  metadata: { name: 't-6869', namespace: 'media', uid: 'uid-1' },
  spec: { taskId: 'hi', kind: 'thumbnails', attempt: 3, gpu: false, internalUrl: 'http://cp:8080', deadlineSeconds: 90, tokenSecretRef: { name: 't-6869', key: 'token' }, ...spec },
});

describe('desiredJob', () => {
  it('runs the render node with exactly the worker environment and the token by reference', () => {
    const job = desiredJob(resource(), loadConfig({}).kubernetes.job);
    expect(job.metadata).toMatchObject({ name: 't-6869-a3', namespace: 'media', annotations: { 'cutroom.io/task-id': 'hi' } });
    expect(job.metadata!.labels).toMatchObject({ 'cutroom.io/attempt': '3', 'cutroom.io/task-resource-kind': 'ThumbnailTask', 'app.kubernetes.io/managed-by': 'cutroom' });
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
    const config = loadConfig({ RENDER_NODE_NODE_SELECTOR: 'pool=render', RENDER_NODE_IMAGE_PULL_SECRETS: 'regcred', RENDER_NODE_SERVICE_ACCOUNT: 'render' }).kubernetes.job;
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
});
