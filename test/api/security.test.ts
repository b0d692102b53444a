import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor, EditorRefused } from '../support/editor-client.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';

/** Security headers, guessable tokens, and the limit on failed authentication. */

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'bound',
    (error: unknown) => (error instanceof EditorRefused ? error.reason : String(error)),
  );

describe('security headers', () => {
  let server: TestServer;
  let alice: TestUser;
  beforeAll(async () => {
    server = await startTestServer('postgres');
    alice = await signedInUser(server, 'alice');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
  });

  const expectHardened = (headers: Headers, what: string) => {
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp, what).toContain("default-src 'none'");
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toContain('sandbox');
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    expect(headers.get('referrer-policy'), what).toBe('no-referrer');
    expect(headers.get('strict-transport-security'), what).toBe('max-age=31536000');
    // Signed media must stay playable by an editor on another origin.
    expect(headers.get('cross-origin-resource-policy'), what).toBe('cross-origin');
    expect(headers.get('x-powered-by'), what).toBeNull();
  };

  it('sets them on JSON answers, errors, unknown routes and signed files', async () => {
    expectHardened((await alice.api.get('/api/version')).headers, 'version');
    expectHardened((await alice.api.get('/api/mediafiles')).headers, 'listing');
    expectHardened((await server.api().get('/api/mediafiles')).headers, '401');
    expectHardened((await alice.api.get('/api/mediafiles/nothing')).headers, '404');
    expectHardened((await alice.api.post('/api/projects', undefined, { raw: '{bad', headers: { 'content-type': 'application/json' } })).headers, '400');
    expectHardened((await server.api().get('/no/such/route')).headers, 'unmatched');
    const row = await storedMedia(server, alice.id, { mediaType: 'image', filetype: 'png', thumbnail: 'x' });
    const entry = (await alice.api.get(`/api/mediafiles/${row.id}`)).body;
    const file = await fetch(entry.originalUrl);
    expect(file.status).toBe(200);
    expectHardened(file.headers, 'signed file');
    // CORS still lets the editor's origin read answers.
    const cors = await fetch(`${server.url}/api/version`, { headers: { origin: 'https://editor.example' } });
    expect(cors.headers.get('access-control-allow-origin')).toBe('https://editor.example');
  });
});

describe('guessable editor tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres', { TOKEN_MIN_LENGTH: '20', TOKEN_MIN_BITS: '48', AUTH_FAILURE_LIMIT: '0' });
  });
  afterAll(async () => server?.destroy());

  it("refuses the editor API client's Date.now() token and other guessable ones, and binds random ones", async () => {
    const { id } = (await server.api().post('/api/users', { name: 'bob' })).body;
    expect(await refusal(connectEditor(server.wsUrl, { authToken: String(Date.now()), sessionId: id }))).toBe('weak_token');
    expect(await refusal(connectEditor(server.wsUrl, { authToken: `${Date.now()}0123abcd`, sessionId: id }))).toBe('weak_token');
    expect(await refusal(connectEditor(server.wsUrl, { authToken: 'x'.repeat(40), sessionId: id }))).toBe('weak_token');
    const editor = await connectEditor(server.wsUrl, { authToken: randomUUID(), sessionId: id });
    expect(editor.userId).toBe(id);
    expect((await server.api(editor.authToken).get('/api/mediafiles')).status).toBe(200);
    // A weak token is refused over HTTP too, with the reason.
    const weak = await server.api(String(Date.now())).get('/api/mediafiles');
    expect(weak.status).toBe(401);
    expect(weak.body.error.message).toMatch(/at least 20 characters/);
    await editor.close();
  });
});

describe('failed authentication per client address', () => {
  let server: TestServer;
  let alice: TestUser;
  beforeAll(async () => {
    server = await startTestServer('postgres', { AUTH_FAILURE_LIMIT: '5', AUTH_FAILURE_WINDOW_S: '60' });
    alice = await signedInUser(server, 'alice');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
  });

  // The test talks from loopback, a trusted proxy by default: each test names its own client.
  const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

  it('answers 429 with Retry-After once an address failed too often, even for a good token', async () => {
    for (let i = 0; i < 5; i++) {
      const guess = await server.api().get('/api/mediafiles', { ...from('203.0.113.7'), token: `guess-${i}-${randomUUID()}` });
      expect(guess.status).toBe(404);
    }
    const blocked = await server.api().get('/api/mediafiles', { ...from('203.0.113.7'), token: `guess-${randomUUID()}` });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.type).toBe('too_many_requests');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await alice.api.get('/api/mediafiles', from('203.0.113.7'))).status).toBe(429);
    // Other addresses, and routes without credentials, are unaffected.
    expect((await alice.api.get('/api/mediafiles', from('203.0.113.8'))).status).toBe(200);
    expect((await server.api().get('/api/version', from('203.0.113.7'))).status).toBe(200);
  });

  it('counts wrong API keys and admin tokens, but not requests that carry no credential', async () => {
    for (let i = 0; i < 10; i++) expect((await server.api().get('/api/mediafiles', from('203.0.113.20'))).status).toBe(401);
    expect((await alice.api.get('/api/mediafiles', from('203.0.113.20'))).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await server.api('wrong-admin').get('/api/developers', from('203.0.113.21'))).status).toBe(401);
    for (let i = 0; i < 2; i++) {
      expect((await server.api('wrong-key').post('/api/task/mediainfo', { originalUrl: 'http://x/y.mp4' }, from('203.0.113.21'))).status).toBe(401);
    }
    expect((await server.api('test-admin-token').get('/api/developers', from('203.0.113.21'))).status).toBe(429);
  });

  it('counts refused socket binds, and then refuses binds from that address', async () => {
    const address = '203.0.113.30';
    const headers = { 'x-forwarded-for': address };
    for (let i = 0; i < 5; i++) {
      expect(await refusal(connectEditor(server.wsUrl, { authToken: randomUUID(), sessionId: `no-such-user-${i}`, headers }))).toBe('session_not_found');
    }
    expect(await refusal(connectEditor(server.wsUrl, { authToken: randomUUID(), sessionId: alice.id, headers }))).toBe('rate_limited');
    expect((await server.api().get('/api/mediafiles', { headers, token: alice.token })).status).toBe(429);
  });
});
