import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { MediaServer } from '../support/media-server.js';
import { DeveloperServer } from '../support/developer-server.js';
import { smallMp4 } from '../support/media.js';
import { processAlive } from '../support/processes.js';
import { createApiClient, ok, type CutroomClient } from '../../console/src/api/client.js';
import type { LocalDispatcher } from '../../control-plane/src/work/local-dispatcher.js';

/**
 * The operators' API the operations view is built on, through the console's typed client:
 * the queue, running tasks with their node, failures with their log, abort and retry, the
 * dispatcher's workers, and the callback outbox with re-delivery.
 */

describe('the admin API', () => {
  let server: TestServer;
  let media: MediaServer;
  let developer: DeveloperServer;
  let admin: CutroomClient;
  let ownerId: string;

  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4());
    developer = await new DeveloperServer().start();
    server = await startTestServer('postgres', {
      WORKERS: '1',
      DISPATCH_INTERVAL_MS: '100',
      MAX_ATTEMPTS: '1',
      CALLBACK_POLL_INTERVAL_MS: '50',
      CALLBACK_MAX_ATTEMPTS: '1',
      ALLOW_PRIVATE_URLS: 'true',
    });
    admin = createApiClient({ baseUrl: server.url, token: () => 'test-admin-token' });
    ownerId = (await server.api().post('/api/users', { name: 'Owner' })).body.id;
  });
  afterAll(async () => {
    await server?.destroy();
    await media?.close();
    await developer?.close();
  });

  const submitProbe = (url: string) => server.controlPlane.services.work.submit({ kind: 'probe', ownerId, spec: { url } });
  const taskState = (id: string) => ok(admin.GET('/api/admin/tasks/{id}', { params: { path: { id } } }));
  const poll = { timeout: 30_000, interval: 50 };

  it('refuses callers without the ADMIN_TOKEN', async () => {
    const anonymous = createApiClient({ baseUrl: server.url });
    const wrong = createApiClient({ baseUrl: server.url, token: () => 'not-the-token' });
    expect((await anonymous.GET('/api/admin/queue')).response.status).toBe(401);
    expect((await wrong.GET('/api/admin/dispatcher')).response.status).toBe(401);
    expect((await wrong.POST('/api/admin/tasks/{id}/abort', { params: { path: { id: 'x' } } })).response.status).toBe(401);
  });

  it('takes a filter of commas only as no filter (found by the query fuzzer: it was a 500)', async () => {
    for (const delivery of [',', ' , ']) {
      const answer = await admin.GET('/api/admin/callbacks', { params: { query: { delivery } } });
      expect(answer.response.status).toBe(200);
    }
  });

  it('shows a running task with its node, then aborts it and its render node stops', async () => {
    const stalled = await submitProbe(`${media.url}/stall/clip.mp4`);
    const waiting = await submitProbe(`${media.url}/file/clip.mp4`);
    await expect.poll(async () => (await taskState(stalled.id)).state, poll).toBe('running');
    const running = await taskState(stalled.id);
    const pid = (server.controlPlane.services.dispatcher as LocalDispatcher).pidOf(stalled.id)!;
    expect(running).toMatchObject({ kind: 'probe', attempts: 1, maxAttempts: 1, ownerId, node: expect.stringContaining(`pid ${pid}`) });

    // One worker: the second task waits its turn, and the queue says so.
    const queue = await ok(admin.GET('/api/admin/queue'));
    expect(queue.counts).toEqual(
      expect.arrayContaining([
        { kind: 'probe', state: 'running', count: 1 },
        { kind: 'probe', state: 'pending', count: 1 },
      ]),
    );
    const list = await ok(admin.GET('/api/admin/tasks', { params: { query: { state: 'running,pending' } } }));
    expect(list.entries.map((t) => t.id).sort()).toEqual([stalled.id, waiting.id].sort());
    const dispatcher = await ok(admin.GET('/api/admin/dispatcher'));
    expect(dispatcher).toMatchObject({ name: 'local', limit: 1, capacity: 0, workers: [{ taskId: stalled.id, attempt: 1 }] });

    const aborted = await ok(admin.POST('/api/admin/tasks/{id}/abort', { params: { path: { id: stalled.id } } }));
    expect(aborted.state).toBe('aborted');
    expect(processAlive(pid)).toBe(false);
    // The slot it held goes to the waiting task, which runs to the end.
    await expect.poll(async () => (await taskState(waiting.id)).state, poll).toBe('completed');
  });

  it('lists a failure with the end of its log, and retries it', async () => {
    const failing = await submitProbe(`${media.url}/file/missing.mp4`);
    await expect.poll(async () => (await taskState(failing.id)).state, poll).toBe('error');
    const failures = await ok(admin.GET('/api/admin/failures'));
    const failure = failures.entries.find((t) => t.id === failing.id)!;
    expect(failure.error).toMatchObject({ code: 'probe_failed' });
    // The log ends with what ffprobe said on stderr.
    expect(failure.logTail[0]).toMatch(/^probing http:/);
    expect(failure.logTail).toContain('ffmpeg stderr (last lines):');
    expect(failure.logTail.some((line) => /missing\.mp4: Server returned 404 Not Found/.test(line))).toBe(true);

    // Put the file where the task looks, and run it again.
    media.add('missing.mp4', await smallMp4());
    const retried = await ok(admin.POST('/api/admin/tasks/{id}/retry', { params: { path: { id: failing.id } } }));
    expect(retried).toMatchObject({ error: null, maxAttempts: 2 });
    expect(['pending', 'dispatched', 'running', 'completed']).toContain(retried.state);
    await expect.poll(async () => (await taskState(failing.id)).state, poll).toBe('completed');
    const done = await taskState(failing.id);
    expect(done.attempts).toBe(2);
    expect(done.log.some((line) => line.startsWith('retried by an operator'))).toBe(true);

    const again = await admin.POST('/api/admin/tasks/{id}/retry', { params: { path: { id: failing.id } } });
    expect(again.response.status).toBe(409);
    expect((await admin.POST('/api/admin/tasks/{id}/retry', { params: { path: { id: 'no-such-task' } } })).response.status).toBe(404);
    expect((await admin.GET('/api/admin/tasks', { params: { query: { state: 'sleeping' } } })).response.status).toBe(400);
  });

  it('shows a failed callback and delivers it again on request', async () => {
    const account = await server.api('test-admin-token').post('/api/developers', { name: 'Acme', callBackUrl: developer.callbackUrl });
    const user = await server.api().post('/api/users', { apiKey: account.body.apiKey, data: 'u1' });
    developer.script = ['fail'];
    developer.then = 'ok';
    await server.controlPlane.services.projects.create(user.body.id, { name: 'Cut' });
    const failed = await vi.waitFor(async () => {
      const outbox = await ok(admin.GET('/api/admin/callbacks', { params: { query: { delivery: 'failed' } } }));
      expect(outbox.entries.map((e) => e.userId)).toContain(user.body.id);
      return outbox;
    }, poll);
    const event = failed.entries.find((e) => e.userId === user.body.id)!;
    expect(event).toMatchObject({ type: 'project_create', delivery: 'failed', attempts: 1, callbackUrl: developer.callbackUrl });
    expect(event.lastError).toMatch(/500|answered/);
    expect(failed.counts.failed).toBeGreaterThanOrEqual(1);

    const redelivered = await ok(admin.POST('/api/admin/callbacks/{id}/redeliver', { params: { path: { id: event.id } } }));
    expect(redelivered).toMatchObject({ delivery: 'pending', attempts: 0 });
    await expect.poll(() => developer.delivered().length, poll).toBe(1);
    expect(developer.delivered()[0]!.body).toMatchObject({ type: 'project_create', userData: 'u1' });
    const delivered = await ok(admin.GET('/api/admin/callbacks', { params: { query: { delivery: 'delivered' } } }));
    expect(delivered.entries.find((e) => e.id === event.id)).toMatchObject({ delivery: 'delivered', attempts: 1 });
    expect((await admin.POST('/api/admin/callbacks/{id}/redeliver', { params: { path: { id: event.id } } })).response.status).toBe(409);
  });
});
