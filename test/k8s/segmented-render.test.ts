import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { resourceNameForTask, type TaskResource } from '../../control-plane/src/kubernetes/task-resource.js';
import { makeClients, type KubeClients } from '../../control-plane/src/kubernetes/kube-client.js';
import type { TaskRecord } from '../../control-plane/src/work/task-store.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { smallMp4 } from '../support/media.js';
import { signedInUser, storedMedia } from '../support/media-factory.js';
import { clip, downloadUrl, followEditing, probeOutput, xtl } from '../support/editing.js';
import { startStandInCluster, type StandInCluster } from './stand-in/cluster.js';

/**
 * A segmented render with DISPATCHER=kubernetes on the cluster stand-in: every part is a
 * RenderTask resource and a Job of its own, run by the real render node, and the render's own
 * Job joins them.
 */

const namespace = 'default';

describe('segmented renders on Kubernetes (stand-in)', () => {
  let cluster: StandInCluster;
  let server: TestServer;
  let kube: KubeClients;
  beforeAll(async () => {
    cluster = await startStandInCluster({
      crds: [path.resolve('crds')],
      kubelet: { nodes: [{ name: 'cpu-1' }, { name: 'cpu-2' }], appRoot: path.resolve('.'), hostEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    });
    kube = makeClients(cluster.kubeConfig('test'));
    server = await startTestServer('postgres', {
      DISPATCHER: 'kubernetes',
      OPERATOR: 'embedded',
      KUBECONFIG: cluster.writeKubeconfig('control-plane'),
      KUBERNETES_NAMESPACE: namespace,
      OPERATOR_LEASE_DURATION_SECONDS: '2',
      DISPATCH_INTERVAL_MS: '100',
      WATCHDOG_INTERVAL_MS: '500',
      TASK_HEARTBEAT_INTERVAL_S: '1',
      TASK_HEARTBEAT_TIMEOUT_S: '30',
      MAX_ATTEMPTS: '2',
      RENDER_SEGMENT_SECONDS: '2',
      RENDER_SEGMENT_MIN_SECONDS: '0',
    });
  });
  afterAll(async () => {
    await server?.destroy();
    await cluster?.close();
  });

  const resource = async (taskId: string) =>
    (await kube.customObjects.getNamespacedCustomObject({
      group: 'cutroom.io',
      version: 'v1alpha1',
      namespace,
      plural: 'rendertasks',
      name: resourceNameForTask(taskId),
    })) as TaskResource;

  it('runs each segment as a RenderTask Job of its own and joins them into the whole output', async () => {
    const user = await signedInUser(server, 'editor');
    try {
      const source = await storedMedia(server, user.id, {
        name: 'source.mp4',
        original: await fs.readFile(await smallMp4(4)),
        durationHns: 4e7,
        width: 320,
        height: 240,
        audioTracks: ['Track 1'],
      });
      // A picture effect: not straight cuts, so the render is the engine's full render, in segments.
      const document = xtl(
        `<group output="graded.mp4" quality="low"><track>${clip(source.id, '00:00:00:00', '00:00:04:00').replace('/>', '><effect type="grayscale"/></clip>')}</track></group>`,
      );
      const posted = await user.api.post('/api/task/editing', { xtl_task: document });
      expect(posted.status).toBe(200);
      const taskId = posted.body.taskId as string;

      const followed = await followEditing(user.api, taskId, { timeoutMs: 180_000 });
      expect(followed.last).toMatchObject({ status: 'completed', progress: 100, error: null });
      const output = await probeOutput(await downloadUrl(followed.last.outputUrls[0]!, 'graded.mp4'));
      expect(output.frames).toBe(100);
      expect(output.hasAudio).toBe(true);

      const parts: TaskRecord[] = await server.controlPlane.database.db.selectFrom('tasks').selectAll().where('parent_id', '=', taskId).execute();
      expect(parts.length).toBe(3); // two windows of picture, and the sound
      const jobs = new Set<string>();
      for (const id of [...parts.map((p) => p.id), taskId]) {
        const succeeded = await vi.waitFor(
          async () => {
            const r = await resource(id);
            expect(r.status?.phase).toBe('Succeeded');
            return r;
          },
          { timeout: 30_000, interval: 100 },
        );
        expect(succeeded.spec).toMatchObject({ taskId: id, kind: 'render' });
        const listed = (await kube.batch.listNamespacedJob({ namespace, labelSelector: `cutroom.io/task-resource=${succeeded.metadata.name}` })).items;
        expect(listed).toHaveLength(1);
        jobs.add(listed[0]!.metadata!.name!);
      }
      expect(jobs.size).toBe(4);
    } finally {
      await user.editor.close();
    }
  }, 240_000);
});
