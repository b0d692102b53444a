import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { MediaServer } from '../support/media-server.js';
import { smallMp4 } from '../support/media.js';
import { connectEditor } from '../support/editor-client.js';

/**
 * Two control planes on one database, as the chart scales them: an editor's socket is held by one
 * replica while the render node runs and reports on the other. Its progress must still reach the
 * editor (through Postgres LISTEN/NOTIFY).
 */

describe('several control-plane replicas', () => {
  let runner: TestServer;
  let holder: TestServer;
  let media: MediaServer;
  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4());
    runner = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100', TASK_HEARTBEAT_INTERVAL_S: '1' });
    // The replica holding the socket claims no work of its own in this test.
    holder = await runner.replica({ DISPATCH_INTERVAL_MS: '60000' });
  });
  afterAll(async () => {
    await holder?.stop();
    await runner?.destroy();
    await media?.close();
  });

  it("pushes a task's progress to its owner's socket on another replica than the one its render node reports to", async () => {
    const ownerId = (await holder.api().post('/api/users', { name: 'Owner' })).body.id;
    const otherId = (await holder.api().post('/api/users', { name: 'Someone else' })).body.id;
    const owner = await connectEditor(holder.wsUrl, { sessionId: ownerId });
    const other = await connectEditor(holder.wsUrl, { sessionId: otherId });
    const task = await runner.controlPlane.services.work.submit({ kind: 'probe', ownerId, spec: { url: `${media.url}/file/clip.mp4` } });

    const pushes = () => owner.messages.filter((m) => m.type === 'task_progress' && m.payload.id === task.id);
    await expect.poll(() => pushes().at(-1)?.payload.state, { timeout: 30_000, interval: 20 }).toBe('completed');
    expect(pushes().map((m) => m.payload.state)).toContain('running');
    expect(pushes().at(-1)?.payload).toMatchObject({ state: 'completed', progress: 100, kind: 'probe' });
    // The work ran on the other replica, and nobody else heard of it.
    expect((await runner.controlPlane.services.work.store.get(task.id))?.state).toBe('completed');
    expect(other.messages.filter((m) => m.type === 'task_progress')).toEqual([]);
    await owner.close();
    await other.close();
  });
});
