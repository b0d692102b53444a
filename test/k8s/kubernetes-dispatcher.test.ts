import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resourceNameForTask, type TaskResource } from '../../control-plane/src/kubernetes/task-resource.js';
import { KubernetesDispatcher } from '../../control-plane/src/work/kubernetes-dispatcher.js';
import type { WorkerLaunch } from '../../control-plane/src/work/dispatcher.js';
import { logger, startHarness, type Harness } from './operator-harness.js';

/**
 * DISPATCHER=kubernetes on the stand-in with the operator running: launches become resources,
 * Jobs and render-node processes; failures come back as lost workers; stops and TTLs clean up.
 */

const namespace = 'default';
const group = 'cutroom.io';
const version = 'v1alpha1';

describe('the kubernetes dispatcher', () => {
  let harness: Harness;
  let dispatcher: KubernetesDispatcher;
  const lost: Array<{ taskId: string; attempt: number; reason: string }> = [];
  beforeAll(async () => {
    harness = await startHarness();
    harness.startOperator('operator');
    dispatcher = new KubernetesDispatcher(
      { clients: harness.clients('control-plane'), namespace, taskTtlMs: 60_000, maxActiveTasks: 3, logger },
      { workerLost: (taskId, attempt, reason) => lost.push({ taskId, attempt, reason }) },
    );
    await dispatcher.start();
  });
  afterAll(async () => {
    await dispatcher?.close();
    await harness?.close();
  });

  const launch = (taskId: string, extra: Partial<WorkerLaunch> = {}): WorkerLaunch => ({
    taskId,
    kind: 'render',
    attempt: 1,
    token: `token-${taskId}-${extra.attempt ?? 1}`,
    internalUrl: harness.controlPlane.url,
    gpu: false,
    deadlineS: 300,
    ...extra,
  });
  const read = async (taskId: string, plural = 'rendertasks') =>
    (await harness
      .clients('test')
      .customObjects.getNamespacedCustomObject({ group, version, namespace, plural, name: resourceNameForTask(taskId) })) as TaskResource;
  const phaseOf = (taskId: string, phase: string, plural?: string) =>
    vi.waitFor(
      async () => {
        const resource = await read(taskId, plural);
        expect(resource.status?.phase).toBe(phase);
        return resource;
      },
      { timeout: 20_000, interval: 25 },
    );
  const helloOf = (taskId: string, attempt = 1) =>
    vi.waitFor(
      () => {
        const hello = harness.controlPlane.hellos.find((h) => h.taskId === taskId && h.attempt === attempt);
        expect(hello).toBeDefined();
        return hello!;
      },
      { timeout: 20_000, interval: 25 },
    );

  it('makes a resource named after the task, with the token only in a Secret the resource owns', async () => {
    harness.controlPlane.plan('Disp_Task-1', { action: 'exit', code: 0 });
    await dispatcher.launch(launch('Disp_Task-1', { gpu: true, deadlineS: 120.5 }));
    const resource = await read('Disp_Task-1');
    expect(resource.metadata.name).toBe(resourceNameForTask('Disp_Task-1'));
    expect(resource.spec).toEqual({
      taskId: 'Disp_Task-1',
      kind: 'render',
      attempt: 1,
      gpu: true,
      internalUrl: harness.controlPlane.url,
      deadlineSeconds: 121,
      tokenSecretRef: { name: `${resource.metadata.name}-a1-token`, key: 'token' },
    });
    expect(JSON.stringify(resource)).not.toContain('token-Disp_Task-1');
    const secret = await harness.clients('test').core.readNamespacedSecret({ namespace, name: `${resource.metadata.name}-a1-token` });
    expect(Buffer.from(secret.data!.token!, 'base64').toString()).toBe('token-Disp_Task-1-1');
    expect(secret.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'RenderTask', uid: resource.metadata.uid })]);

    expect((await helloOf('Disp_Task-1')).token).toBe('token-Disp_Task-1-1');
    await phaseOf('Disp_Task-1', 'Succeeded');
    expect(lost).toEqual([]);
  });

  it('treats a repeated launch as the same launch', async () => {
    harness.controlPlane.plan('disp-twice', { action: 'run' });
    await dispatcher.launch(launch('disp-twice'));
    await dispatcher.launch(launch('disp-twice'));
    await phaseOf('disp-twice', 'Running');
    const jobs = await harness
      .clients('test')
      .batch.listNamespacedJob({ namespace, labelSelector: `cutroom.io/task-resource=${resourceNameForTask('disp-twice')}` });
    expect(jobs.items).toHaveLength(1);
    await dispatcher.stop('disp-twice');
  });

  it('counts unfinished resources against its capacity', async () => {
    await vi.waitFor(() => expect(dispatcher.capacity()).toBe(3), { timeout: 20_000, interval: 25 });
    harness.controlPlane.plan('cap-1', { action: 'run' });
    harness.controlPlane.plan('cap-2', { action: 'run' });
    await dispatcher.launch(launch('cap-1'));
    await dispatcher.launch(launch('cap-2', { kind: 'ingest' }));
    expect(dispatcher.capacity()).toBe(1);
    await dispatcher.stop('cap-1');
    await dispatcher.stop('cap-2');
    await vi.waitFor(() => expect(dispatcher.capacity()).toBe(3), { timeout: 20_000, interval: 25 });
  });

  it('reports a killed render node as a lost worker once, and runs the next attempt with its new token', async () => {
    harness.controlPlane.plan('disp-killed', { action: 'run' });
    await dispatcher.launch(launch('disp-killed'));
    const hello = await helloOf('disp-killed');
    await phaseOf('disp-killed', 'Running');
    process.kill(hello.pid, 'SIGKILL');
    await vi.waitFor(() => expect(lost).toEqual([{ taskId: 'disp-killed', attempt: 1, reason: 'Error: the render node exited with code 137 on node cpu-1' }]), {
      timeout: 20_000,
      interval: 25,
    });

    harness.controlPlane.plan('disp-killed', { action: 'exit', code: 0 });
    await dispatcher.launch(launch('disp-killed', { attempt: 2 }));
    expect((await helloOf('disp-killed', 2)).token).toBe('token-disp-killed-2');
    const done = await phaseOf('disp-killed', 'Succeeded');
    expect(done.status!.attempts!.map((a) => a.phase)).toEqual(['Failed', 'Succeeded']);
    expect(done.spec.tokenSecretRef.name).toBe(`${done.metadata.name}-a2-token`);
    expect(lost).toHaveLength(1);
    // Both attempts' Secrets belong to the resource and go with it.
    await dispatcher.stop('disp-killed');
    await vi.waitFor(
      async () => {
        const secrets = await harness.clients('test').core.listNamespacedSecret({ namespace });
        expect(secrets.items.map((s) => s.metadata!.name).filter((n) => n!.startsWith(done.metadata.name))).toEqual([]);
      },
      { timeout: 20_000, interval: 25 },
    );
  });

  it('stops a task: the resource, Job and process go, and that is no lost worker', async () => {
    harness.controlPlane.plan('disp-stop', { action: 'run' });
    await dispatcher.launch(launch('disp-stop', { kind: 'import_url' }));
    const hello = await helloOf('disp-stop');
    await phaseOf('disp-stop', 'Running', 'importtasks');
    await dispatcher.stop('disp-stop');
    await vi.waitFor(async () => expect(await read('disp-stop', 'importtasks').catch((e: { code: number }) => e.code)).toBe(404), {
      timeout: 20_000,
      interval: 25,
    });
    expect(() => process.kill(hello.pid, 0)).toThrow();
    expect(harness.controlPlane.byes.map((b) => b.taskId)).toContain('disp-stop');
    await dispatcher.stop('disp-stop');
    await dispatcher.stop('never-launched');
    expect(lost.map((l) => l.taskId)).not.toContain('disp-stop');
  });

  it('reports a resource deleted by someone else while it ran', async () => {
    harness.controlPlane.plan('disp-removed', { action: 'run' });
    await dispatcher.launch(launch('disp-removed'));
    await phaseOf('disp-removed', 'Running');
    await harness
      .clients('admin')
      .customObjects.deleteNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: resourceNameForTask('disp-removed') });
    await vi.waitFor(
      () => expect(lost).toContainEqual({ taskId: 'disp-removed', attempt: 1, reason: 'the task resource was deleted before the attempt finished' }),
      { timeout: 20_000, interval: 25 },
    );
  });

  it('mirrors progress into the status', async () => {
    harness.controlPlane.plan('disp-progress', { action: 'run' });
    await dispatcher.launch(launch('disp-progress'));
    await phaseOf('disp-progress', 'Running');
    await dispatcher.recordProgress('disp-progress', 42.7);
    expect((await read('disp-progress')).status!.progress).toBe(42);
    await dispatcher.stop('disp-progress');
  });

  it('deletes finished resources once their TTL has passed', async () => {
    harness.controlPlane.plan('disp-ttl', { action: 'exit', code: 0 });
    await dispatcher.launch(launch('disp-ttl'));
    const done = await phaseOf('disp-ttl', 'Succeeded');
    const finishedAtMs = Date.parse(done.status!.completionTime!);
    await dispatcher.collectFinished(finishedAtMs + 59_000);
    expect((await read('disp-ttl')).metadata.deletionTimestamp).toBeUndefined();
    expect(await dispatcher.collectFinished(finishedAtMs + 61_000)).toBeGreaterThanOrEqual(1);
    await vi.waitFor(async () => expect(await read('disp-ttl').catch((e: { code: number }) => e.code)).toBe(404), { timeout: 20_000, interval: 25 });
    expect(lost.map((l) => l.taskId)).not.toContain('disp-ttl');
  });
});
