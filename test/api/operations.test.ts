import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor } from '../support/editor-client.js';

describe('operations endpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres');
  });
  afterAll(() => server?.destroy());

  it('reports the version as major.minor.YYMM.DD', async () => {
    const res = await server.api().get('/api/version');
    expect(res.status).toBe(200);
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d{4}\.\d{2}$/);
  });

  it('reports live statistics with the editor API fields, and voiceover sessions as an extension', async () => {
    const res = await server.api().get('/api/stat');
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'activeBuildThumbsTasksCount',
        'activeImportFromLocalDriveCount',
        'activeImportFromURLTasksCount',
        'activeRenderTasksCount',
        'activeUsersCount',
        'activeVoiceoverSessionsCount',
      ].sort(),
    );
  });

  it('is alive and ready', async () => {
    expect((await server.api().get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await server.api().get('/readyz')).body).toEqual({ status: 'ready' });
  });

  it('exposes request durations by route and open sockets in /metrics', async () => {
    await server.api().get('/api/users/some-id');
    const editor = await connectEditor(server.wsUrl);
    const res = await server.api().get('/metrics');
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(res.text).toMatch(/cutroom_http_request_duration_seconds_count\{method="GET",route="\/api\/users\/:id",status="404"\} 1/);
    expect(res.text).toMatch(/cutroom_websocket_open_sockets 1/);
    expect(res.text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(res.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(res.text).toMatch(/^cutroom_build_info\{version="[^"]+",node_version="\d+\.\d+\.\d+"\} 1/m);
    await editor.close();
  });

  it('serves an OpenAPI document made from the validating schemas', async () => {
    const res = await server.api().get('/api/openapi.json');
    expect(res.body.openapi).toBe('3.1.0');
    const createUser = res.body.paths['/api/users'].post;
    expect(createUser.requestBody.content['application/json'].schema.properties).toHaveProperty('apiKey');
    expect(res.body.paths['/api/users/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(res.body.paths['/api/developers'].post.security).toEqual([{ adminToken: [] }]);
  });
});

describe('graceful shutdown', () => {
  it('closes sockets with 1001, stops listening and keeps the database for the next start', async () => {
    const server = await startTestServer('postgres');
    const { body } = await server.api().post('/api/users', { name: 'Survivor' });
    const editor = await connectEditor(server.wsUrl, { sessionId: body.id });
    const closed = new Promise<number>((resolve) => editor.ws.once('close', (code) => resolve(code)));
    const restarted = await server.restart();
    expect(await closed).toBe(1001);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect((await restarted.api().get(`/api/users/${body.id}`)).body.name).toBe('Survivor');
    await restarted.destroy();
  });
});
