import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import { MERGE_PATCH, type KubeClients } from '../../control-plane/src/kubernetes/kube-client.js';
import { resourceNameForTask, type TaskResource } from '../../control-plane/src/kubernetes/task-resource.js';
import { startHarness, type Harness } from './operator-harness.js';
import { StatusError } from './stand-in/errors.js';

/**
 * The operator end to end on the stand-in: a task resource becomes a Job, the Job a render-node
 * process with the task's environment and token, and the Job's fate the resource's status.
 */

const namespace = 'default';
const group = 'cutroom.io';
const version = 'v1alpha1';

describe('the operator', () => {
  let harness: Harness;
  let clients: KubeClients;
  beforeAll(async () => {
    harness = await startHarness();
    clients = harness.clients('test');
    harness.startOperator('operator-a', { OPERATOR_START_TIMEOUT_SECONDS: '1' });
  });
  afterAll(() => harness?.close());

  /** What the kubernetes dispatcher makes for a task: the resource, then its token Secret. */
  async function submit(
    taskId: string,
    options: { gpu?: boolean; plural?: string; kind?: string; taskKind?: string; token?: string } = {},
  ): Promise<TaskResource> {
    const name = resourceNameForTask(taskId);
    const resource = (await clients.customObjects.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: options.plural ?? 'rendertasks',
      body: {
        apiVersion: `${group}/${version}`,
        kind: options.kind ?? 'RenderTask',
        metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'cutroom' } },
        spec: {
          taskId,
          kind: options.taskKind ?? 'render',
          attempt: 1,
          gpu: options.gpu ?? false,
          internalUrl: harness.controlPlane.url,
          deadlineSeconds: 600,
          tokenSecretRef: { name, key: 'token' },
        },
      },
    })) as TaskResource;
    await clients.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name, ownerReferences: [{ apiVersion: `${group}/${version}`, kind: resource.kind, name, uid: resource.metadata.uid!, controller: true }] },
        stringData: { token: options.token ?? `token-of-${taskId}` },
      },
    });
    return resource;
  }
  const read = async (taskId: string, plural = 'rendertasks') =>
    (await clients.customObjects.getNamespacedCustomObject({ group, version, namespace, plural, name: resourceNameForTask(taskId) })) as TaskResource;
  const phaseOf = (taskId: string, phase: string, plural?: string) =>
    vi.waitFor(
      async () => {
        const resource = await read(taskId, plural);
        expect(resource.status?.phase).toBe(phase);
        return resource;
      },
      { timeout: 20_000, interval: 25 },
    );
  const jobsOf = async (taskId: string): Promise<V1Job[]> =>
    (await clients.batch.listNamespacedJob({ namespace, labelSelector: `cutroom.io/task-resource=${resourceNameForTask(taskId)}` })).items;
  const helloOf = (taskId: string, attempt = 1) =>
    vi.waitFor(
      () => {
        const hello = harness.controlPlane.hellos.find((h) => h.taskId === taskId && h.attempt === attempt);
        expect(hello).toBeDefined();
        return hello!;
      },
      { timeout: 20_000, interval: 25 },
    );

  it('turns a render task into a locked-down Job whose process gets the task environment and token, then Succeeded', async () => {
    harness.controlPlane.plan('render-ok', { action: 'exit', code: 0 });
    const created = await submit('render-ok');
    const hello = await helloOf('render-ok');
    expect(hello.token).toBe('token-of-render-ok');
    expect(hello.env).toEqual(['CUTROOM_INTERNAL_URL', 'CUTROOM_TASK_ATTEMPT', 'CUTROOM_TASK_ID', 'CUTROOM_TASK_TOKEN']);

    const done = await phaseOf('render-ok', 'Succeeded');
    expect(done.metadata.finalizers).toEqual(['cutroom.io/job-cleanup']);
    expect(done.status).toMatchObject({
      phase: 'Succeeded',
      progress: 100,
      attempt: 1,
      node: 'cpu-1',
      job: `${created.metadata.name}-a1`,
      observedGeneration: 1,
      attempts: [{ attempt: 1, phase: 'Succeeded', job: `${created.metadata.name}-a1`, node: 'cpu-1' }],
    });
    expect(Date.parse(done.status!.completionTime!)).toBeGreaterThanOrEqual(Date.parse(done.status!.startTime!));
    expect(
      done
        .status!.conditions!.filter((c) => c.status === 'True')
        .map((c) => c.type)
        .sort(),
    ).toEqual(['Complete', 'JobCreated']);

    const [job] = await jobsOf('render-ok');
    expect(job!.metadata!.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'RenderTask', name: created.metadata.name, uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }),
    ]);
    const spec = job!.spec!;
    expect(spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 3600 });
    const pod = spec.template.spec!;
    expect(pod).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: 10001 } });
    expect(pod.nodeSelector).toBeUndefined();
    const container = pod.containers[0]!;
    expect(container.image).toBe('cutroom/render-node:test');
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources).toEqual({
      requests: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '20Gi' },
      limits: { cpu: '4', memory: '4Gi' },
    });
    expect(container.env!.find((e) => e.name === 'CUTROOM_TASK_TOKEN')).toEqual({
      name: 'CUTROOM_TASK_TOKEN',
      valueFrom: { secretKeyRef: { name: created.metadata.name, key: 'token' } },
    });
    expect(JSON.stringify(job)).not.toContain('token-of-render-ok');
    expect(pod.volumes).toEqual([{ name: 'scratch', emptyDir: { sizeLimit: '20Gi' } }]);
  });

  it('puts GPU tasks on the GPU node pool with the NVIDIA image', async () => {
    harness.controlPlane.plan('render-gpu', { action: 'exit', code: 0 });
    await submit('render-gpu', { gpu: true });
    const done = await phaseOf('render-gpu', 'Succeeded');
    expect(done.status!.node).toBe('gpu-1');
    const pod = (await jobsOf('render-gpu'))[0]!.spec!.template.spec!;
    expect(pod.containers[0]!.image).toBe('cutroom/render-node:test-nvidia');
    expect(pod.containers[0]!.resources!.limits!['nvidia.com/gpu']).toBe('1');
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('runs ingest and import tasks from their own resource kind', async () => {
    await submit('ingest-1', { plural: 'importtasks', kind: 'ImportTask', taskKind: 'ingest' });
    await submit('import-1', { plural: 'importtasks', kind: 'ImportTask', taskKind: 'import_url' });
    await phaseOf('ingest-1', 'Succeeded', 'importtasks');
    await phaseOf('import-1', 'Succeeded', 'importtasks');
  });

  it('fails the resource when the render node process is killed, saying how it died', async () => {
    harness.controlPlane.plan('render-killed', { action: 'run' });
    await submit('render-killed');
    const hello = await helloOf('render-killed');
    await phaseOf('render-killed', 'Running');
    process.kill(hello.pid, 'SIGKILL');
    const failed = await phaseOf('render-killed', 'Failed');
    expect(failed.status).toMatchObject({ reason: 'Error', attempt: 1, node: 'cpu-1' });
    expect(failed.status!.message).toBe('the render node exited with code 137 on node cpu-1');
    expect(failed.status!.conditions!.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'Error' });

    harness.controlPlane.plan('render-oom', { action: 'run' });
    await submit('render-oom');
    await phaseOf('render-oom', 'Running');
    const [job] = await jobsOf('render-oom');
    const pods = await clients.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job!.metadata!.name}` });
    harness.cluster.kubelet!.oomKill(pods.items[0]!.metadata!.name!);
    const oom = await phaseOf('render-oom', 'Failed');
    expect(oom.status).toMatchObject({ reason: 'OOMKilled' });
  });

  it('replaces the Job when the control plane moves the task to a new attempt', async () => {
    harness.controlPlane.plan('render-retry', { action: 'exit', code: 1 });
    const created = await submit('render-retry');
    await phaseOf('render-retry', 'Failed');
    harness.controlPlane.plan('render-retry', { action: 'exit', code: 0 });
    const second = `${created.metadata.name}-a2-token`;
    await clients.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: second,
          ownerReferences: [{ apiVersion: `${group}/${version}`, kind: 'RenderTask', name: created.metadata.name, uid: created.metadata.uid! }],
        },
        stringData: { token: 'second-token' },
      },
    });
    await clients.customObjects.patchNamespacedCustomObject(
      {
        group,
        version,
        namespace,
        plural: 'rendertasks',
        name: created.metadata.name,
        body: { spec: { attempt: 2, tokenSecretRef: { name: second, key: 'token' } } },
      },
      MERGE_PATCH,
    );
    const hello = await helloOf('render-retry', 2);
    expect(hello.token).toBe('second-token');
    const done = await phaseOf('render-retry', 'Succeeded');
    expect(done.status!.attempts!.map((a) => [a.attempt, a.phase, a.job])).toEqual([
      [1, 'Failed', `${created.metadata.name}-a1`],
      [2, 'Succeeded', `${created.metadata.name}-a2`],
    ]);
    expect(done.status!.observedGeneration).toBe(2);
    await vi.waitFor(async () => expect((await jobsOf('render-retry')).map((j) => j.metadata!.name)).toEqual([`${created.metadata.name}-a2`]), {
      timeout: 20_000,
      interval: 25,
    });
  });

  it('removes the Job and stops the process before a deleted resource goes, and its Secret with it', async () => {
    harness.controlPlane.plan('render-deleted', { action: 'run' });
    const created = await submit('render-deleted');
    const hello = await helloOf('render-deleted');
    await phaseOf('render-deleted', 'Running');
    await clients.customObjects.deleteNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: created.metadata.name });
    await vi.waitFor(
      async () => {
        const gone = await read('render-deleted').catch((e: { code: number }) => e.code);
        expect(gone).toBe(404);
      },
      { timeout: 20_000, interval: 25 },
    );
    // The finalizer held the resource until the Job, and so the process, was gone.
    expect(harness.controlPlane.byes).toContainEqual(expect.objectContaining({ taskId: 'render-deleted', signal: 'SIGTERM' }));
    expect(() => process.kill(hello.pid, 0)).toThrow();
    expect(await jobsOf('render-deleted')).toEqual([]);
    await vi.waitFor(
      async () => expect(await clients.core.readNamespacedSecret({ namespace, name: created.metadata.name }).catch((e: { code: number }) => e.code)).toBe(404),
      { timeout: 20_000, interval: 25 },
    );
  });

  it('records a Job deleted behind its back as a failed attempt instead of running it again', async () => {
    harness.controlPlane.plan('render-job-deleted', { action: 'run' });
    await submit('render-job-deleted');
    await phaseOf('render-job-deleted', 'Running');
    const [job] = await jobsOf('render-job-deleted');
    await clients.batch.deleteNamespacedJob({ namespace, name: job!.metadata!.name!, propagationPolicy: 'Background' });
    const failed = await phaseOf('render-job-deleted', 'Failed');
    expect(failed.status).toMatchObject({ reason: 'JobDeleted' });
    expect(await jobsOf('render-job-deleted')).toEqual([]);
  });

  it('fails an attempt whose pod cannot pull its image, after the start timeout', async () => {
    // A cluster whose registry serves no image at all.
    const harness2 = await startHarness({ kubelet: { unpullableImage: () => true } });
    try {
      const c2 = harness2.clients('test');
      // The write that records the failure is refused once as stale (a busy cluster's cache):
      // the failure must still be recorded as the pull, not as a Job that vanished.
      let refused = 0;
      const recordedWaiting = () =>
        harness2.cluster.store.all().some(({ object }) => object.kind === 'RenderTask' && (object as TaskResource).status?.reason === 'ErrImagePull');
      harness2.cluster.api.faults.push((r) => {
        if (refused > 0 || r.resource !== 'rendertasks' || r.subresource !== 'status' || !recordedWaiting()) return undefined;
        refused += 1;
        return new StatusError(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
      });
      // Long enough that the wait is recorded (Pending, ErrImagePull) before the attempt fails.
      harness2.startOperator('op', { OPERATOR_START_TIMEOUT_SECONDS: '3' });
      const name = resourceNameForTask('render-pull');
      const resource = (await c2.customObjects.createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: 'rendertasks',
        body: {
          apiVersion: `${group}/${version}`,
          kind: 'RenderTask',
          metadata: { name },
          spec: { taskId: 'render-pull', kind: 'render', attempt: 1, internalUrl: 'http://127.0.0.1:9', tokenSecretRef: { name, key: 'token' } },
        },
      })) as TaskResource;
      expect(resource.metadata.name).toBe(name);
      const failed = await vi.waitFor(
        async () => {
          const r = (await c2.customObjects.getNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name })) as TaskResource;
          expect(r.status?.phase).toBe('Failed');
          return r;
        },
        { timeout: 20_000, interval: 25 },
      );
      expect(refused).toBe(1);
      expect(failed.status).toMatchObject({ reason: 'ErrImagePull' });
      expect(failed.status!.message).toContain('the render node cannot start: ErrImagePull');
      await vi.waitFor(async () => expect((await c2.batch.listNamespacedJob({ namespace })).items).toEqual([]), { timeout: 20_000, interval: 25 });
    } finally {
      await harness2.close();
    }
  });

  it('keeps working across dropped watches and compacted history', async () => {
    harness.cluster.api.dropWatches();
    harness.cluster.store.compact();
    harness.controlPlane.plan('render-after-410', { action: 'exit', code: 0 });
    await submit('render-after-410');
    await phaseOf('render-after-410', 'Succeeded');
  });
});
