import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { drivers } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { MediaServer } from '../support/media-server.js';
import { smallMp4 } from '../support/media.js';
import { connectEditor } from '../support/editor-client.js';
import type { TaskRow } from '../../control-plane/src/work/task-store.js';
import type { LocalDispatcher } from '../../control-plane/src/work/local-dispatcher.js';
import { processAlive } from '../support/processes.js';
import { holdFor, settlesWithin } from '../support/waiting.js';

const fastWork = {
  WORKERS: '2',
  DISPATCH_INTERVAL_MS: '100',
  WATCHDOG_INTERVAL_MS: '200',
  TASK_HEARTBEAT_INTERVAL_S: '1',
  TASK_HEARTBEAT_TIMEOUT_S: '5',
  MAX_ATTEMPTS: '3',
};

function waitForTask(server: TestServer, id: string, accept: (task: TaskRow) => boolean, timeoutMs = 30_000) {
  return vi.waitFor(
    async () => {
      const task = await server.controlPlane.services.work.store.get(id);
      if (!task || !accept(task)) throw new Error(`task ${id} stuck in ${task?.state} (${JSON.stringify(task?.error)})`);
      return task;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}

const dispatcherOf = (server: TestServer) => server.controlPlane.services.dispatcher as LocalDispatcher;

describe.each(drivers)('the work system (%s)', (driver) => {
  let server: TestServer;
  let media: MediaServer;
  let ownerId: string;
  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4());
    // The watchdog runs when a test asks for it (`scheduler.runNow('watchdog')`), not on its own.
    server = await startTestServer(driver, { ...fastWork, WATCHDOG_INTERVAL_MS: '600000' });
    ownerId = (await server.api().post('/api/users', { name: 'Owner' })).body.id;
  });
  afterAll(async () => {
    await server?.destroy();
    await media?.close();
  });

  const submitProbe = (url: string) => server.controlPlane.services.work.submit({ kind: 'probe', ownerId, spec: { url } });

  it('runs a probe end to end on a render node, pushing progress to the owner', async () => {
    const editor = await connectEditor(server.wsUrl, { sessionId: ownerId });
    const task = await submitProbe(`${media.url}/file/clip.mp4`);
    const done = await waitForTask(server, task.id, (t) => t.state === 'completed');
    expect(done.attempts).toBe(1);
    expect(done.progress).toBe(1);
    const streams = (done.result as { streams: Array<{ codec_type: string; width?: number }> }).streams;
    expect(streams.find((s) => s.codec_type === 'video')?.width).toBe(320);
    expect(streams.some((s) => s.codec_type === 'audio')).toBe(true);
    expect(done.log.some((line) => line.startsWith('probing http://127.0.0.1'))).toBe(true);

    const pushesOf = () => editor.messages.filter((m) => m.type === 'task_progress' && m.payload.id === task.id);
    await expect.poll(() => pushesOf().at(-1)?.payload.state, { timeout: 5000, interval: 20 }).toBe('completed');
    const pushes = pushesOf();
    expect(pushes.map((m) => m.payload.state)).toContain('running');
    expect(pushes.at(-1)?.payload).toMatchObject({ state: 'completed', progress: 100, kind: 'probe' });
    await editor.close();
    // The node exits right after its last report; its slot frees once it has.
    await expect.poll(() => dispatcherOf(server).capacity(), { timeout: 5000, interval: 20 }).toBe(2);
  });

  it('gives a task to a render node already started and waiting, and starts another once no task runs', async () => {
    await expect.poll(() => dispatcherOf(server).warmPids().length, { timeout: 10_000, interval: 20 }).toBe(1);
    const [warm] = dispatcherOf(server).warmPids();
    expect(warm).toBeDefined();
    const stalled = media.nextStall();
    const task = await submitProbe(`${media.url}/stall/clip.mp4`);
    await expect.poll(() => dispatcherOf(server).pidOf(task.id), { timeout: 10_000, interval: 20 }).toBe(warm);
    await stalled; // the node is at work, reading its source
    // No node starts beside a running task, where it would take its CPU.
    await holdFor(500);
    expect(dispatcherOf(server).warmPids()).toEqual([]);
    await server.controlPlane.services.work.abort(task.id, ownerId);
    await expect.poll(() => processAlive(warm!), { timeout: 10_000, interval: 20 }).toBe(false);
    // The task over, the pool is refilled with a new process.
    await expect.poll(() => dispatcherOf(server).warmPids().length, { timeout: 10_000, interval: 20 }).toBe(1);
    expect(dispatcherOf(server).warmPids()[0]).not.toBe(warm);
  });

  it('fails a task for good when the input is not media, without retrying', async () => {
    const task = await submitProbe(`${media.url}/file/missing.mp4`);
    const failed = await waitForTask(server, task.id, (t) => t.state === 'error');
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatchObject({ type: 'engine_error', code: 'probe_failed' });
    expect(failed.error?.message).toMatch(/404/);
  });

  it('cancels mid-task: the worker stops within seconds', async () => {
    const stalled = media.nextStall();
    const dropped = media.nextDrop();
    const task = await submitProbe(`${media.url}/stall/clip.mp4`);
    await stalled; // the node is reading its input
    const pid = dispatcherOf(server).pidOf(task.id)!;
    expect(processAlive(pid)).toBe(true);
    const aborted = await server.controlPlane.services.work.abort(task.id, ownerId);
    expect(aborted.state).toBe('aborted');
    // The bound only proves that the node is stopped, rather than left hanging on its input.
    await settlesWithin(dropped, 10_000, 'ffprobe hanging up on the source');
    expect(processAlive(pid)).toBe(false);
    await holdFor(300); // and the task stays aborted
    expect((await server.controlPlane.services.work.store.get(task.id))?.state).toBe('aborted');
  });

  it('retries a task whose render node was killed with SIGKILL, then finishes it', async () => {
    const stalled = media.nextStall();
    const task = await submitProbe(`${media.url}/stall-once/clip.mp4`);
    await stalled;
    process.kill(dispatcherOf(server).pidOf(task.id)!, 'SIGKILL');
    const done = await waitForTask(server, task.id, (t) => t.state === 'completed');
    expect(done.attempts).toBe(2);
    expect(done.log.some((line) => /attempt 1 failed \(worker_lost: render node killed by SIGKILL\)/.test(line))).toBe(true);
  });

  it('reclaims a task whose heartbeat stopped (a hung node), then finishes it', async () => {
    media.add('hung.mp4', await smallMp4());
    const stalled = media.nextStall();
    const task = await submitProbe(`${media.url}/stall-once/hung.mp4`);
    await stalled;
    const pid = dispatcherOf(server).pidOf(task.id)!;
    process.kill(pid, 'SIGSTOP'); // frozen: no more heartbeats, no reaction to SIGTERM
    // Until the heartbeat limit has passed, a watchdog round leaves the attempt alone; the first
    // round after it reclaims it.
    await server.controlPlane.scheduler.runNow('watchdog');
    expect((await server.controlPlane.services.work.store.get(task.id))?.attempts).toBe(1);
    await vi.waitFor(
      async () => {
        await server.controlPlane.scheduler.runNow('watchdog');
        const current = await server.controlPlane.services.work.store.get(task.id);
        if (current?.attempts !== 2) throw new Error(`attempt ${current?.attempts} not reclaimed yet`);
      },
      { timeout: 30_000, interval: 200 },
    );
    const done = await waitForTask(server, task.id, (t) => t.state === 'completed');
    expect(done.attempts).toBe(2);
    expect(done.log.some((line) => /attempt 1 failed \(heartbeat_timeout/.test(line))).toBe(true);
    // The hung node gets SIGTERM, then SIGKILL after the grace period.
    await expect.poll(() => processAlive(pid), { timeout: 15_000, interval: 50 }).toBe(false);
  });

  it('refuses a wrong token, and a token once its attempt is over', async () => {
    const task = await submitProbe(`${media.url}/file/clip.mp4`);
    await waitForTask(server, task.id, (t) => t.state === 'completed');
    const wrong = await server.api().get(`/internal/tasks/${task.id}`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.type).toBe('unauthorized');
    const missing = await server.api().post(`/internal/tasks/${task.id}/progress`, { progress: 0.5 });
    expect(missing.status).toBe(401);
  });
});

describe('the work system across control-plane replicas and restarts', () => {
  let media: MediaServer;
  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4());
  });
  afterAll(() => media?.close());

  it('never runs a task twice when two replicas claim from one queue', async () => {
    // A generous heartbeat limit: on a loaded machine a slow start must not look like a lost node.
    const first = await startTestServer('postgres', { ...fastWork, WORKERS: '3', TASK_HEARTBEAT_TIMEOUT_S: '20' });
    const second = await first.replica({ WORKERS: '3' });
    try {
      const store = first.controlPlane.services.work.store;
      const tasks = await Promise.all(
        Array.from({ length: 12 }, () => store.create({ kind: 'probe', spec: { url: `${media.url}/file/clip.mp4` }, maxAttempts: 3 })),
      );
      first.controlPlane.services.work.kick();
      second.controlPlane.services.work.kick();
      const done = await Promise.all(tasks.map((t) => waitForTask(first, t.id, (row) => row.state === 'completed', 60_000)));
      expect(done.map((t) => t.attempts)).toEqual(done.map(() => 1));
      const claimers = new Set(done.map((t) => t.claimed_by));
      expect(claimers.size).toBe(2); // both replicas took part
    } finally {
      await second.stop();
      await first.destroy();
    }
  });

  it('claims each pending task once under concurrent claims (store level)', async () => {
    const server = await startTestServer('postgres', { WORKERS: '1', DISPATCH_INTERVAL_MS: '60000' });
    try {
      await server.controlPlane.services.work.close(); // only our claims below
      const store = server.controlPlane.services.work.store;
      await Promise.all(Array.from({ length: 60 }, () => store.create({ kind: 'probe', spec: { url: 'http://unused.invalid/clip.mp4' }, maxAttempts: 1 })));
      const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => store.claim(`replica-${i % 3}`, 7)));
      const ids = claims.flat().map((c) => c.task.id);
      expect(ids.length).toBe(60);
      expect(new Set(ids).size).toBe(60);
    } finally {
      await server.destroy();
    }
  });

  it('recovers a task running when the control plane restarts', async () => {
    const server = await startTestServer('postgres', fastWork);
    let current = server;
    try {
      media.add('restart.mp4', await smallMp4());
      const stalled = media.nextStall();
      const task = await server.controlPlane.services.work.submit({ kind: 'probe', spec: { url: `${media.url}/stall-once/restart.mp4` } });
      await stalled;
      current = await server.restart();
      const done = await waitForTask(current, task.id, (t) => t.state === 'completed');
      expect(done.attempts).toBe(2);
      expect(done.log.some((line) => /attempt 1 failed \(interrupted/.test(line))).toBe(true);
    } finally {
      await current.destroy();
    }
  });
});
