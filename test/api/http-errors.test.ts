import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestServer, type TestServer } from '../support/server.js';

describe('the HTTP error model', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres', { BODY_LIMIT: '2kb' });
  });
  afterAll(() => server?.destroy());

  const userCount = async () => {
    const client = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await client.connect();
    try {
      return Number((await client.query('select count(*) from users')).rows[0].count);
    } finally {
      await client.end();
    }
  };

  it('answers malformed JSON with 400 and a JSON body, writing nothing', async () => {
    const before = await userCount();
    const res = await server.api().request('POST', '/api/users', {
      raw: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.body.error.type).toBe('bad_request');
    expect(res.body.error.message).toMatch(/malformed JSON/);
    expect(res.text).not.toMatch(/at .*\.js|<html/i);
    expect(await userCount()).toBe(before);
  });

  it('refuses bodies that are not UTF-8 JSON, saying where they go wrong', async () => {
    const before = await userCount();
    const post = (raw: string | Uint8Array<ArrayBuffer>, contentType = 'application/json') =>
      server.api().request('POST', '/api/users', { raw, headers: { 'content-type': contentType } });

    const notUtf8 = await post(new Uint8Array(Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])));
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.body.error.message).toMatch(/not valid UTF-8/);

    const latin1 = await post('{"name":"x"}', 'application/json; charset=latin1');
    expect(latin1.status).toBe(400);
    expect(latin1.body.error.message).toMatch(/charset "LATIN1"/);

    const controlCharacter = await post('{"name":"a\u0001b"}');
    expect(controlCharacter.status).toBe(400);
    expect(controlCharacter.body.error.message).toMatch(/control character in a string .* at byte 10/);

    expect(await userCount()).toBe(before);
  });

  it('names the field of a wrong type', async () => {
    const before = await userCount();
    const res = await server.api().post('/api/users', { name: 42 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^name: /);
    expect(await userCount()).toBe(before);
  });

  it('refuses an unknown enum value', async () => {
    const admin = server.api('test-admin-token');
    const res = await admin.post('/api/developers', { name: 'x', callBackUrl: 'ftp://files.example/cb' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/callBackUrl: must be an http\(s\) URL/);
  });

  it('answers 413 over the body limit', async () => {
    // Small bodies and large ones (read apart, for the CPU pool) alike.
    for (const size of [4096, 1024 * 1024]) {
      const res = await server.api().post('/api/users', { name: 'x'.repeat(size) });
      expect(res.status).toBe(413);
      expect(res.body.error.type).toBe('payload_too_large');
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await server.api().get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.type).toBe('not_found');
  });

  it('tags every answer with a request id, keeping a sane one the client sent', async () => {
    const mine = await server.api().get('/api/version', { headers: { 'x-request-id': 'abc-123' } });
    expect(mine.headers.get('x-request-id')).toBe('abc-123');
    const generated = await server.api().get('/api/version');
    expect(generated.headers.get('x-request-id')).toMatch(/^[\w-]{22}$/);
  });

  it('allows cross-origin calls from the editor', async () => {
    const res = await server.api().request('OPTIONS', '/api/projects', {
      headers: {
        origin: 'https://editor.example',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://editor.example');
    expect(res.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
  });
});
