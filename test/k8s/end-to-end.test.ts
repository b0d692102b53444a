import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { resourceNameForTask, type TaskResource } from '../../control-plane/src/kubernetes/task-resource.js';
import { makeClients, type KubeClients } from '../../control-plane/src/kubernetes/kube-client.js';
import type { TaskRow } from '../../control-plane/src/work/task-store.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { MediaServer } from '../support/media-server.js';
import { smallMp4 } from '../support/media.js';
import { startStandInCluster, type StandInCluster } from './stand-in/cluster.js';
import fs from 'node:fs/promises';
import { signedInUser } from '../support/media-factory.js';
import { upload } from '../support/uploader.js';
import { clip, downloadUrl, followEditing, probeOutput, xtl } from '../support/editing.js';

/**
 * Cutroom with DISPATCHER=kubernetes and the operator, on the cluster stand-in whose kubelet
 * runs the real render node (`node /app/render-node/dist/main.js`, the image's /app being this
 * repository): a task posted to the API becomes a resource, a Job, a render-node process that
 * talks to the control plane over /internal, a result, and a Succeeded resource.
 */

const namespace = 'default';
const group = 'cutroom.io';
const version = 'v1alpha1';

describe('Cutroom on Kubernetes, end to end on the stand-in', () => {
  let cluster: StandInCluster;
  let server: TestServer;
  let media: MediaServer;
  let kube: KubeClients;
  let apiKey: string;
  beforeAll(async () => {
    media = await new MediaServer().start();
    for (const name of ['clip.mp4', 'killed.mp4', 'aborted.mp4']) media.add(name, await smallMp4(3));
    cluster = await startStandInCluster({
      crds: [path.resolve('crds')],
      kubelet: {
        nodes: [{ name: 'cpu-1' }],
        appRoot: path.resolve('.'),
        hostEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      },
    });
    kube = makeClients(cluster.kubeConfig('test'));
    server = await startTestServer('postgres', {
      DISPATCHER: 'kubernetes',
      OPERATOR: 'embedded',
      KUBECONFIG: cluster.writeKubeconfig('control-plane'),
      KUBERNETES_NAMESPACE: namespace,
      OPERATOR_LEASE_DURATION_SECONDS: '2',
      ALLOW_PRIVATE_URLS: 'true',
      DISPATCH_INTERVAL_MS: '100',
      WATCHDOG_INTERVAL_MS: '500',
      TASK_HEARTBEAT_INTERVAL_S: '1',
      TASK_HEARTBEAT_TIMEOUT_S: '30',
      MAX_ATTEMPTS: '3',
    });
    apiKey = (await server.api('test-admin-token').post('/api/developers', { name: 'Catalogue' })).body.apiKey;
  });
  afterAll(async () => {
    await server?.destroy();
    await cluster?.close();
    await media?.close();
  });

  const resource = async (taskId: string, plural = 'importtasks') =>
    (await kube.customObjects.getNamespacedCustomObject({ group, version, namespace, plural, name: resourceNameForTask(taskId) })) as TaskResource;
  const task = (id: string) => server.controlPlane.services.work.store.get(id) as Promise<TaskRow>;
  const podsOf = async (taskId: string): Promise<V1Pod[]> =>
    (await kube.core.listNamespacedPod({ namespace, labelSelector: `cutroom.io/task-resource=${resourceNameForTask(taskId)}` })).items;
  const runningPod = (taskId: string) =>
    vi.waitFor(
      async () => {
        const pod = (await podsOf(taskId)).find((p) => p.status?.phase === 'Running');
        expect(pod).toBeDefined();
        return pod!;
      },
      { timeout: 30_000, interval: 25 },
    );

  it('runs a media info task posted to the API as a Job, and records it Succeeded', async () => {
    const created = await server.api(apiKey).post('/api/task/mediainfo', { originalUrl: `${media.url}/file/clip.mp4` });
    expect(created.status).toBe(200);
    const id = created.body.id as string;

    const done = await vi.waitFor(
      async () => {
        const res = await server.api(apiKey).get(`/api/task/mediainfo/${id}`);
        expect(res.status).toBe(200);
        return res;
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(done.body.info).toMatchObject({ name: 'clip.mp4', mediaType: 'video', width: 320, height: 240 });

    const succeeded = await vi.waitFor(
      async () => {
        const r = await resource(id);
        expect(r.status?.phase).toBe('Succeeded');
        return r;
      },
      { timeout: 20_000, interval: 25 },
    );
    expect(succeeded.kind).toBe('ImportTask');
    expect(succeeded.spec).toMatchObject({ taskId: id, kind: 'mediainfo', attempt: 1, internalUrl: server.url });
    expect(succeeded.status).toMatchObject({ progress: 100, node: 'cpu-1', attempts: [{ attempt: 1, phase: 'Succeeded' }] });
    const [job] = (await kube.batch.listNamespacedJob({ namespace, labelSelector: `cutroom.io/task-resource=${succeeded.metadata.name}` })).items;
    expect(job!.spec!.template.spec!.containers[0]!.command).toEqual(['node', '/app/render-node/dist/main.js']);
    expect((await task(id)).state).toBe('completed');
  });

  it('renders a timeline posted to the editing API as a RenderTask Job: progress, a finished output, Succeeded', async () => {
    const user = await signedInUser(server, 'editor');
    try {
      const { id: mediaId } = await upload(user.api, 'source.mp4', await fs.readFile(await smallMp4(3)));
      await vi.waitFor(async () => expect((await user.api.get(`/api/mediafiles/${mediaId}`)).body).toMatchObject({ status: 'ready', progress: 100 }), {
        timeout: 60_000,
        interval: 200,
      });
      const document = xtl(
        `<group output="cut.mp4"><track video="1" audio="1" accuracy="frame">${clip(mediaId, '00:00:00:40', '00:00:02:00')}</track></group>`,
      );
      const posted = await user.api.post('/api/task/editing', { xtl_task: document });
      expect(posted.status).toBe(200);
      const taskId = posted.body.taskId as string;

      const followed = await followEditing(user.api, taskId, { timeoutMs: 90_000 });
      expect(followed.last).toMatchObject({ status: 'completed', progress: 100, error: null });
      const output = await probeOutput(await downloadUrl(followed.last.outputUrls[0]!, 'cut.mp4'));
      expect(output.frames).toBe(40); // 1.6 s at 25 fps
      expect(output.hasAudio).toBe(true);

      const succeeded = await vi.waitFor(
        async () => {
          const r = await resource(taskId, 'rendertasks');
          expect(r.status?.phase).toBe('Succeeded');
          return r;
        },
        { timeout: 20_000, interval: 25 },
      );
      expect(succeeded.kind).toBe('RenderTask');
      expect(succeeded.spec).toMatchObject({ taskId, kind: 'render', attempt: 1 });
      expect(succeeded.status).toMatchObject({ progress: 100, node: 'cpu-1' });
      expect((await user.api.get(`/api/mediafiles/${posted.body.fileId}`)).body).toMatchObject({ type: 'output', taskId });
    } finally {
      await user.editor.close();
    }
  });

  it('fails the attempt of a render node whose pod dies, and retries the task to completion', async () => {
    const stalled = media.nextStall();
    const queued = await server.controlPlane.services.work.submit({ kind: 'probe', spec: { url: `${media.url}/stall-once/killed.mp4` } });
    await stalled; // the render node is reading its input
    const pod = await runningPod(queued.id);
    process.kill(cluster.kubelet!.pid(pod.metadata!.name!)!, 'SIGKILL');

    const failed = await vi.waitFor(
      async () => {
        const r = await resource(queued.id);
        expect(r.status?.attempts?.[0]?.phase).toBe('Failed');
        return r;
      },
      { timeout: 20_000, interval: 25 },
    );
    expect(failed.status!.attempts![0]).toMatchObject({ attempt: 1, reason: 'Error' });
    const done = await vi.waitFor(
      async () => {
        const t = await task(queued.id);
        expect(t.state).toBe('completed');
        return t;
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(done.attempts).toBe(2);
    expect(done.log.some((line) => /attempt 1 failed \(worker_lost: Error: the render node exited with code 137/.test(line))).toBe(true);
    const retried = await vi.waitFor(
      async () => {
        const r = await resource(queued.id);
        expect(r.status?.phase).toBe('Succeeded');
        return r;
      },
      { timeout: 20_000, interval: 25 },
    );
    expect(retried.status!.attempts!.map((a) => [a.attempt, a.phase])).toEqual([
      [1, 'Failed'],
      [2, 'Succeeded'],
    ]);
    expect(retried.spec.tokenSecretRef.name).toBe(`${retried.metadata.name}-a2-token`);
  });

  it('removes the resource and the Job and stops the render node when the task is aborted', async () => {
    const stalled = media.nextStall();
    const queued = await server.controlPlane.services.work.submit({ kind: 'probe', spec: { url: `${media.url}/stall/aborted.mp4` } });
    await stalled;
    const pod = await runningPod(queued.id);
    const pid = cluster.kubelet!.pid(pod.metadata!.name!)!;
    await server.controlPlane.services.work.abort(queued.id, undefined);
    await vi.waitFor(async () => expect(await resource(queued.id).catch((e: { code: number }) => e.code)).toBe(404), { timeout: 30_000, interval: 25 });
    expect(await podsOf(queued.id)).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await task(queued.id)).state).toBe('aborted');
  });
});
