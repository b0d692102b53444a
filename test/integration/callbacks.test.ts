import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { DeveloperServer } from '../support/developer-server.js';
import { connectEditor, type EditorConnection } from '../support/editor-client.js';
import { holdFor } from '../support/waiting.js';

const fastCallbacks = {
  CALLBACK_POLL_INTERVAL_MS: '50',
  CALLBACK_BACKOFF_MS: '50',
  CALLBACK_MAX_BACKOFF_MS: '200',
  CALLBACK_TIMEOUT_MS: '500',
  CALLBACK_MAX_ATTEMPTS: '4',
};

describe('developer callbacks', () => {
  let server: TestServer;
  let developer: DeveloperServer;
  let secret: string;
  let userId: string;
  let editor: EditorConnection;

  beforeAll(async () => {
    developer = await new DeveloperServer().start();
    server = await startTestServer('postgres', fastCallbacks);
    const account = await server.api('test-admin-token').post('/api/developers', { name: 'Acme', callBackUrl: developer.callbackUrl });
    secret = account.body.callbackSecret;
    userId = (await server.api().post('/api/users', { apiKey: account.body.apiKey, data: 'customer-42', apiAuthToken: 'acme-token' })).body.id;
    editor = await connectEditor(server.wsUrl, { sessionId: userId });
  });
  afterAll(async () => {
    await editor?.close();
    await server?.destroy();
    await developer?.close();
  });

  it("posts project_create with the editor API's envelope, the user id as Authorization, an event id and a signature", async () => {
    developer.callbacks.length = 0;
    const created = await server.api(editor.authToken).post('/api/projects', { name: 'Trailer', data: { v: 1 }, thumbnail: 'iVBOR' });
    await expect.poll(() => developer.delivered().length, { timeout: 15_000, interval: 25 }).toBe(1);
    const [callback] = developer.delivered();
    expect(callback!.body).toEqual({
      type: 'project_create',
      userData: 'customer-42',
      apiAuthToken: 'acme-token',
      payload: { projectId: created.body.id, thumbnail: 'iVBOR' },
    });
    expect(callback!.headers.authorization).toBe(userId);
    expect(callback!.headers['x-cutroom-event-id']).toMatch(/^[\w-]{22}$/);
    const expected = `sha256=${createHmac('sha256', secret).update(callback!.rawBody).digest('hex')}`;
    expect(callback!.headers['x-cutroom-signature']).toBe(expected);
  });

  it('retries a failing receiver with the same event id, and keeps the order per user', async () => {
    developer.callbacks.length = 0;
    developer.script = ['fail', 'fail'];
    const id = (await server.api(editor.authToken).post('/api/projects', { name: 'Cut 1' })).body.id;
    await server.api(editor.authToken).patch(`/api/projects/${id}`, { name: 'Cut 2', thumbnail: 'a' });
    await server.api(editor.authToken).patch(`/api/projects/${id}`, { name: 'Cut 3', thumbnail: 'b' });
    await expect.poll(() => developer.delivered().length, { timeout: 15_000, interval: 25 }).toBe(3);
    const delivered = developer.delivered().map((c) => [c.body.type, c.body.payload.thumbnail]);
    expect(delivered).toEqual([
      ['project_create', ''],
      ['project_update', 'a'],
      ['project_update', 'b'],
    ]);
    const attemptsOfFirst = developer.callbacks.filter((c) => c.headers['x-cutroom-event-id'] === developer.delivered()[0]!.headers['x-cutroom-event-id']);
    expect(attemptsOfFirst.map((c) => c.answered)).toEqual([500, 500, 200]);
  });

  it('gives up after the retry budget on a dead, hanging or looping receiver, without slowing the API', async () => {
    for (const behaviour of ['fail', 'hang', 'redirect-loop'] as const) {
      developer.callbacks.length = 0;
      developer.script = [];
      developer.then = behaviour;
      const res = await server.api(editor.authToken).post('/api/projects', { name: `Doomed ${behaviour}` });
      expect(res.status).toBe(200);
      // The API does not wait on the receiver: it has answered while the retries (backing off) go on.
      expect(developer.callbacks.length).toBeLessThan(4);
      await expect.poll(() => developer.callbacks.length, { timeout: 20_000, interval: 25 }).toBeGreaterThanOrEqual(4);
      await holdFor(300);
      expect(developer.callbacks.length).toBe(4); // CALLBACK_MAX_ATTEMPTS, then recorded as failed
    }
    developer.then = 'ok';
    // A later event is not blocked by the failed ones.
    developer.callbacks.length = 0;
    await server.api(editor.authToken).post('/api/projects', { name: 'After' });
    await expect.poll(() => developer.delivered().length, { timeout: 15_000, interval: 25 }).toBe(1);
  });
});

describe('callbacks across a restart', () => {
  it('delivers an event raised before the restart once, after it', async () => {
    const developer = await new DeveloperServer().start();
    let server = await startTestServer('postgres', { ...fastCallbacks, CALLBACK_POLL_INTERVAL_MS: '60000' });
    try {
      const account = await server.api('test-admin-token').post('/api/developers', { name: 'Acme', callBackUrl: developer.callbackUrl });
      const userId = (await server.api().post('/api/users', { apiKey: account.body.apiKey })).body.id;
      const editor = await connectEditor(server.wsUrl, { sessionId: userId });
      await server.api(editor.authToken).post('/api/projects', { name: 'Before the restart' });
      await editor.close();
      await holdFor(200);
      expect(developer.callbacks).toHaveLength(0); // the delivery loop has not run yet
      server = await server.restart({ CALLBACK_POLL_INTERVAL_MS: '50' });
      await expect.poll(() => developer.delivered().length, { timeout: 15_000, interval: 25 }).toBe(1);
      await holdFor(500); // and only once
      expect(developer.callbacks).toHaveLength(1);
      expect(developer.callbacks[0]!.body.type).toBe('project_create');
    } finally {
      await server.destroy();
      await developer.close();
    }
  });
});
