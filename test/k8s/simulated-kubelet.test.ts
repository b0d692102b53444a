import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchV1Api, CoreV1Api, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { startStandInCluster, type StandInCluster } from './stand-in/cluster.js';

/**
 * The stand-in's Job controller and kubelet: Jobs become pods, pods become local processes
 * with the pod's environment, and the outcome comes back as pod and Job conditions.
 */

const namespace = 'default';

describe('the simulated Job controller and kubelet', () => {
  let cluster: StandInCluster;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  beforeAll(async () => {
    cluster = await startStandInCluster({
      kubelet: {
        nodes: [
          { name: 'cpu-1', labels: { pool: 'cpu' } },
          { name: 'gpu-1', labels: { 'nvidia.com/gpu.present': 'true' }, taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }], gpus: 1 },
        ],
        hostEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      },
    });
    batch = cluster.kubeConfig().makeApiClient(BatchV1Api);
    core = cluster.kubeConfig().makeApiClient(CoreV1Api);
  });
  afterAll(() => cluster?.close());

  const job = (
    name: string,
    script: string,
    spec: Partial<NonNullable<V1Job['spec']>> = {},
    podSpec: Record<string, unknown> = {},
    env: object[] = [],
  ): V1Job => ({
    metadata: { name },
    spec: {
      backoffLimit: 0,
      ...spec,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'stand-in', command: ['node', '-e', script], env: env as never }],
          ...podSpec,
        },
      },
    },
  });
  const condition = (j: V1Job) => j.status?.conditions?.find((c) => c.status === 'True')?.type;
  const podsOf = async (name: string) => (await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` })).items;
  const finished = (name: string) =>
    vi.waitFor(
      async () => {
        const current = await batch.readNamespacedJob({ namespace, name });
        expect(condition(current)).toMatch(/Complete|Failed/);
        return current;
      },
      { timeout: 20_000, interval: 25 },
    );

  it('runs the container command with its environment, then reports the Job complete', async () => {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'env-secret' }, stringData: { token: 'tok-123' } } });
    await batch.createNamespacedJob({
      namespace,
      body: job('env-job', 'console.log([process.env.PLAIN, process.env.TOKEN, process.env.POD, process.env.REF].join(" "))', {}, {}, [
        { name: 'PLAIN', value: 'plain' },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'token' } } },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'REF', value: '$(PLAIN)-ref' },
      ]),
    });
    const done = await finished('env-job');
    expect(condition(done)).toBe('Complete');
    expect(done.status).toMatchObject({ succeeded: 1, failed: 0, active: 0 });
    expect(done.status!.completionTime).toBeInstanceOf(Date);
    const [pod] = await podsOf('env-job');
    expect(pod!.status!.phase).toBe('Succeeded');
    expect(pod!.spec!.nodeName).toBe('cpu-1');
    expect(pod!.metadata!.ownerReferences![0]).toMatchObject({ kind: 'Job', name: 'env-job', controller: true, blockOwnerDeletion: true });
    expect(pod!.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(cluster.kubelet!.podLogs(pod!.metadata!.name!)).toBe(`plain tok-123 ${pod!.metadata!.name} plain-ref\n`);
  });

  it('replaces failed pods up to backoffLimit, then fails the Job', async () => {
    await batch.createNamespacedJob({ namespace, body: job('retry-job', 'process.exit(3)', { backoffLimit: 1 }) });
    const done = await finished('retry-job');
    expect(condition(done)).toBe('Failed');
    expect(done.status!.conditions!.find((c) => c.type === 'Failed')!.reason).toBe('BackoffLimitExceeded');
    expect(done.status!.failed).toBe(2);
    const pods = await podsOf('retry-job');
    expect(pods.map((p) => p.status!.containerStatuses![0]!.state!.terminated!.exitCode)).toEqual([3, 3]);
  });

  it('stops a Job at activeDeadlineSeconds and kills its process', async () => {
    await batch.createNamespacedJob({ namespace, body: job('deadline-job', 'setInterval(() => {}, 1000)', { activeDeadlineSeconds: 1 }) });
    const done = await finished('deadline-job');
    expect(done.status!.conditions!.find((c) => c.type === 'Failed')!.reason).toBe('DeadlineExceeded');
    await vi.waitFor(async () => expect(await podsOf('deadline-job')).toEqual([]), { timeout: 20_000, interval: 25 });
    expect(cluster.kubelet!.runningPods().filter((p) => p.startsWith('deadline-job'))).toEqual([]);
  });

  it('fails the pod and the Job when the process is killed', async () => {
    await batch.createNamespacedJob({ namespace, body: job('killed-job', 'setInterval(() => {}, 1000)') });
    const pod = await vi.waitFor(
      async () => {
        const [p] = await podsOf('killed-job');
        expect(p?.status?.phase).toBe('Running');
        return p!;
      },
      { timeout: 20_000, interval: 25 },
    );
    process.kill(cluster.kubelet!.pid(pod.metadata!.name!)!, 'SIGKILL');
    const done = await finished('killed-job');
    expect(condition(done)).toBe('Failed');
    const [after] = await podsOf('killed-job');
    expect(after!.status!.phase).toBe('Failed');
    expect(after!.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('reports OOM kills as OOMKilled', async () => {
    await batch.createNamespacedJob({ namespace, body: job('oom-job', 'setInterval(() => {}, 1000)') });
    const pod = await vi.waitFor(
      async () => {
        const [p] = await podsOf('oom-job');
        expect(p?.status?.phase).toBe('Running');
        return p!;
      },
      { timeout: 20_000, interval: 25 },
    );
    expect(cluster.kubelet!.oomKill(pod.metadata!.name!)).toBe(true);
    await finished('oom-job');
    const [after] = await podsOf('oom-job');
    expect(after!.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('waits for a missing Secret, then starts the container', async () => {
    await batch.createNamespacedJob({
      namespace,
      body: job('late-secret-job', 'console.log(process.env.T)', {}, {}, [{ name: 'T', valueFrom: { secretKeyRef: { name: 'late', key: 't' } } }]),
    });
    await vi.waitFor(
      async () => {
        const [p] = await podsOf('late-secret-job');
        expect(p!.status!.containerStatuses![0]!.state!.waiting).toMatchObject({ reason: 'CreateContainerConfigError', message: 'secret "late" not found' });
      },
      { timeout: 20_000, interval: 25 },
    );
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'late' }, stringData: { t: 'now' } } });
    expect(condition(await finished('late-secret-job'))).toBe('Complete');
  });

  it('schedules GPU pods only on a tainted GPU node they tolerate', async () => {
    const gpuContainer = (_name: string) => [
      { name: 'main', image: 'stand-in', command: ['node', '-e', ''], resources: { limits: { 'nvidia.com/gpu': '1' } } },
    ];
    await batch.createNamespacedJob({ namespace, body: job('gpu-intolerant', '', {}, { containers: gpuContainer('a') }) });
    await vi.waitFor(
      async () => {
        const [p] = await podsOf('gpu-intolerant');
        expect(p!.status!.conditions!.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      },
      { timeout: 20_000, interval: 25 },
    );
    await batch.createNamespacedJob({
      namespace,
      body: job(
        'gpu-job',
        '',
        {},
        {
          containers: gpuContainer('b'),
          nodeSelector: { 'nvidia.com/gpu.present': 'true' },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        },
      ),
    });
    await finished('gpu-job');
    const [pod] = await podsOf('gpu-job');
    expect(pod!.spec!.nodeName).toBe('gpu-1');
  });

  it('deletes a Job in the foreground only after its pods have stopped; the default orphans them', async () => {
    await batch.createNamespacedJob({
      namespace,
      body: job('fg-job', 'process.on("SIGTERM", () => { console.log("term"); process.exit(0) }); console.log("ready"); setInterval(() => {}, 1000)'),
    });
    const pod = await vi.waitFor(
      async () => {
        const [p] = await podsOf('fg-job');
        // Running, and far enough to have its SIGTERM handler.
        expect(cluster.kubelet!.podLogs(p!.metadata!.name!)).toBe('ready\n');
        return p!;
      },
      { timeout: 20_000, interval: 25 },
    );
    await batch.deleteNamespacedJob({ namespace, name: 'fg-job', propagationPolicy: 'Foreground' });
    const terminating = await batch.readNamespacedJob({ namespace, name: 'fg-job' });
    expect(terminating.metadata!.finalizers).toContain('foregroundDeletion');
    await vi.waitFor(async () => expect((await batch.listNamespacedJob({ namespace })).items.map((j) => j.metadata!.name)).not.toContain('fg-job'), {
      timeout: 20_000,
      interval: 25,
    });
    expect(await podsOf('fg-job')).toEqual([]);
    expect(cluster.kubelet!.podLogs(pod.metadata!.name!)).toBe('ready\nterm\n');

    await batch.createNamespacedJob({ namespace, body: job('orphan-job', 'setInterval(() => {}, 1000)') });
    const orphan = await vi.waitFor(
      async () => {
        const [p] = await podsOf('orphan-job');
        expect(p?.status?.phase).toBe('Running');
        return p!;
      },
      { timeout: 20_000, interval: 25 },
    );
    await batch.deleteNamespacedJob({ namespace, name: 'orphan-job' });
    await vi.waitFor(
      async () => expect((await core.readNamespacedPod({ namespace, name: orphan.metadata!.name! })).metadata!.ownerReferences).toBeUndefined(),
      { timeout: 20_000, interval: 25 },
    );
    expect((await core.readNamespacedPod({ namespace, name: orphan.metadata!.name! })).status!.phase).toBe('Running');
    await core.deleteNamespacedPod({ namespace, name: orphan.metadata!.name!, gracePeriodSeconds: 1 });
    await vi.waitFor(async () => expect(cluster.kubelet!.runningPods()).not.toContain(orphan.metadata!.name), { timeout: 20_000, interval: 25 });
  });

  it('deletes finished Jobs and their pods after ttlSecondsAfterFinished', async () => {
    await batch.createNamespacedJob({ namespace, body: job('ttl-job', '', { ttlSecondsAfterFinished: 0 }) });
    await vi.waitFor(
      async () => {
        expect((await batch.listNamespacedJob({ namespace })).items.map((j) => j.metadata!.name)).not.toContain('ttl-job');
        expect(await podsOf('ttl-job')).toEqual([]);
      },
      { timeout: 20_000, interval: 25 },
    );
  });

  it('does not change a Job template after creation', async () => {
    await batch.createNamespacedJob({ namespace, body: job('immutable-job', 'setInterval(() => {}, 1000)') });
    const created = await batch.readNamespacedJob({ namespace, name: 'immutable-job' });
    // Unconditional (no resourceVersion): the Job controller writes its status meanwhile.
    const changed = await batch
      .replaceNamespacedJob({
        namespace,
        name: 'immutable-job',
        body: {
          ...created,
          metadata: { ...created.metadata, resourceVersion: undefined },
          spec: { ...created.spec!, template: { ...created.spec!.template, metadata: { labels: { x: 'y' } } } },
        },
      })
      .catch((e) => e);
    expect(changed.code).toBe(422);
    await batch.deleteNamespacedJob({ namespace, name: 'immutable-job', propagationPolicy: 'Background' });
    await vi.waitFor(async () => expect((await podsOf('immutable-job')) as V1Pod[]).toEqual([]), { timeout: 20_000, interval: 25 });
  });
});
