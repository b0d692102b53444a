import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor, EditorRefused, uniqueToken } from '../support/editor-client.js';

describe('identity and presence', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres', { WS_PING_INTERVAL_MS: '200', TOKEN_GRACE_SECONDS: '1' });
  });
  afterAll(() => server?.destroy());

  const activeUsers = async () => (await server.api().get('/api/stat')).body.activeUsersCount as number;

  it('creates, reads and updates a user', async () => {
    const created = await server.api().post('/api/users', { name: 'Ada', data: '{"plan":"pro"}' });
    expect(created.status).toBe(200);
    expect(created.body.id).toMatch(/^[\w-]{22,}$/);
    const id = created.body.id as string;

    expect((await server.api().get(`/api/users/${id}`)).body).toEqual({ name: 'Ada', data: '{"plan":"pro"}' });
    expect((await server.api().patch(`/api/users/${id}`, { name: 'Ada L.' })).body).toEqual({ id });
    expect((await server.api().get(`/api/users/${id}`)).body).toEqual({ name: 'Ada L.', data: '{"plan":"pro"}' });
    expect((await server.api().get('/api/users/nope')).status).toBe(404);
    expect((await server.api().patch('/api/users/nope', { name: 'x' })).status).toBe(404);
  });

  it('binds a token to the session user, answers pings, and counts the user active while connected', async () => {
    const { body } = await server.api().post('/api/users', { name: 'Editor' });
    const before = await activeUsers();
    const editor = await connectEditor(server.wsUrl, { sessionId: body.id });
    expect(editor.userId).toBe(body.id);

    const config = await server.api(editor.authToken).get('/api/config');
    expect(config.status).toBe(200);
    expect(config.body.userId).toBe(body.id);
    // The Bearer form and the auth_token query parameter work too.
    expect((await server.api().get('/api/config', { headers: { authorization: `Bearer ${editor.authToken}` } })).status).toBe(200);
    expect((await server.api().get(`/api/config?auth_token=${editor.authToken}`)).status).toBe(200);

    await editor.next('ping');
    await expect.poll(() => editor.pingsAnswered, { timeout: 5000, interval: 25 }).toBeGreaterThanOrEqual(2);
    expect(editor.ws.readyState).toBe(editor.ws.OPEN);
    expect(await activeUsers()).toBe(before + 1);

    await editor.close();
    await expect.poll(activeUsers, { timeout: 5000, interval: 50 }).toBe(before);
  });

  it('makes an anonymous user for a token without a session when anonymous use is on', async () => {
    const editor = await connectEditor(server.wsUrl);
    expect(editor.userId).toBeTruthy();
    // A second tab with the same token is the same user.
    const secondTab = await connectEditor(server.wsUrl, { authToken: editor.authToken });
    expect(secondTab.userId).toBe(editor.userId);
    await editor.close();
    await secondTab.close();
  });

  it('refuses a token that is live for another user', async () => {
    const alice = (await server.api().post('/api/users', { name: 'Alice' })).body.id;
    const bob = (await server.api().post('/api/users', { name: 'Bob' })).body.id;
    const token = uniqueToken();
    const editor = await connectEditor(server.wsUrl, { authToken: token, sessionId: alice });
    const refused = await connectEditor(server.wsUrl, { authToken: token, sessionId: bob }).catch((e) => e);
    expect(refused).toBeInstanceOf(EditorRefused);
    expect(refused.reason).toBe('token_in_use');
    expect(refused.closeCode).toBe(4001);
    // The token still belongs to Alice.
    expect((await server.api(token).get('/api/config')).body.userId).toBe(alice);
    await editor.close();
  });

  it('refuses a sessionId that does not exist', async () => {
    const refused = await connectEditor(server.wsUrl, { sessionId: 'no-such-user-id-000000' }).catch((e) => e);
    expect(refused).toBeInstanceOf(EditorRefused);
    expect(refused.reason).toBe('session_not_found');
  });

  it('drops a socket that stops answering pings', async () => {
    const before = await activeUsers();
    const editor = await connectEditor(server.wsUrl, { answerPings: false });
    const closed = new Promise<number>((resolve) => editor.ws.once('close', (code) => resolve(code)));
    const code = await closed;
    expect(code).toBe(1006); // terminated by the server, no close frame
    await expect.poll(activeUsers, { timeout: 5000, interval: 50 }).toBe(before);
  });

  it('keeps a token valid for the grace period after its socket closes, then forgets it', async () => {
    const editor = await connectEditor(server.wsUrl);
    await editor.close();
    expect((await server.api(editor.authToken).get('/api/config')).status).toBe(200);
    const expired = await vi.waitFor(
      async () => {
        const res = await server.api(editor.authToken).get('/api/config');
        expect(res.status).toBe(404);
        return res;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(expired.status).toBe(404);
    expect(expired.body.error.type).toBe('not_found');
  });

  it('answers 401 without a token and 404 for an unknown one', async () => {
    const missing = await server.api().get('/api/config');
    expect(missing.status).toBe(401);
    expect(missing.body.error.type).toBe('unauthorized');
    const unknown = await server.api('never-bound').get('/api/config');
    expect(unknown.status).toBe(404);
  });
});

describe('production settings', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres', { ALLOW_ANONYMOUS: 'false', OPEN_REGISTRATION: 'false' });
  });
  afterAll(() => server?.destroy());

  it('refuses users without an apiKey and anonymous sockets', async () => {
    const refusedUser = await server.api().post('/api/users', { name: 'x' });
    expect(refusedUser.status).toBe(403);
    const refusedSocket = await connectEditor(server.wsUrl).catch((e) => e);
    expect(refusedSocket.reason).toBe('anonymous_disabled');
  });

  it("ties a user to a developer through the developer's apiKey", async () => {
    const admin = server.api('test-admin-token');
    const dev = await admin.post('/api/developers', {
      name: 'Acme',
      fetchFileUrl: 'https://media.acme.test/files',
    });
    expect(dev.status).toBe(200);
    const wrongKey = await server.api().post('/api/users', { apiKey: 'crk_wrong' });
    expect(wrongKey.status).toBe(401);
    const user = await server.api().post('/api/users', { apiKey: dev.body.apiKey, apiAuthToken: 'acme-user-7' });
    expect(user.status).toBe(200);
    const editor = await connectEditor(server.wsUrl, { sessionId: user.body.id });
    const config = await server.api(editor.authToken).get('/api/config');
    expect(config.body).toEqual({
      userId: user.body.id,
      apiAuthToken: 'acme-user-7',
      fetchFileUrl: 'https://media.acme.test/files',
      mediaTabContentUrl: null,
      fetchThumbnailUrl: null,
    });
    await editor.close();
  });
});
